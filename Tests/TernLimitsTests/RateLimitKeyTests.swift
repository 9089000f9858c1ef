import TernCore
import TernLimits
import XCTest

final class RateLimitKeyTests: XCTestCase {
    func key(_ text: String, v4: Int = 32, v6: Int = 64) -> RateLimitKey {
        RateLimitKey.forClient(IPAddress(text) ?? .v4(0), ipv4Prefix: v4, ipv6Prefix: v6)
    }

    func testIPv6ClientsAreBucketedBySlash64() {
        XCTAssertEqual(self.key("2001:db8:1:2:aaaa::1"), self.key("2001:db8:1:2:bbbb:cccc:dddd:eeee"))
        XCTAssertNotEqual(self.key("2001:db8:1:2::1"), self.key("2001:db8:1:3::1"))
        XCTAssertEqual(self.key("2001:db8:1:2:aaaa::1").description, "2001:db8:1:2::/64")
        XCTAssertEqual(self.key("2001:db8:1:2:aaaa::1", v6: 128).description, "2001:db8:1:2:aaaa::1")
        XCTAssertNotEqual(self.key("2001:db8::1", v6: 128), self.key("2001:db8::2", v6: 128))
        XCTAssertEqual(self.key("2001:db8:1:2::1", v6: 48), self.key("2001:db8:1:ffff::1", v6: 48))
        XCTAssertEqual(self.key("2001:db8::1", v6: 999).description, "2001:db8::1")  // clamped to /128
    }

    func testIPv4ClientsAreKeyedByAddress() {
        XCTAssertNotEqual(self.key("192.0.2.1"), self.key("192.0.2.2"))
        XCTAssertEqual(self.key("192.0.2.1").description, "192.0.2.1")
        XCTAssertEqual(self.key("::ffff:192.0.2.1"), self.key("192.0.2.1"))
        XCTAssertEqual(self.key("192.0.2.1", v4: 24), self.key("192.0.2.200", v4: 24))
        XCTAssertEqual(self.key("192.0.2.1", v4: 24).description, "192.0.2.0/24")
    }

    func testStringKeysAreDistinctFromAddresses() {
        XCTAssertNotEqual(RateLimitKey("192.0.2.1"), self.key("192.0.2.1"))
        XCTAssertEqual(RateLimitKey("api-key-1"), RateLimitKey("api-key-1"))
        XCTAssertEqual(RateLimitKey("api-key-1").description, "api-key-1")
    }
}
