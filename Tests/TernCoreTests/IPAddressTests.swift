import TernCore
import XCTest

final class IPAddressTests: XCTestCase {
    func testIPv4() {
        let cases: [(String, UInt32, UInt)] = [
            ("0.0.0.0", 0, #line), ("127.0.0.1", 0x7F00_0001, #line), ("10.0.0.1", 0x0A00_0001, #line),
            ("255.255.255.255", 0xFFFF_FFFF, #line), ("192.168.1.20", 0xC0A8_0114, #line),
        ]
        for (text, value, line) in cases {
            XCTAssertEqual(IPAddress(text), .v4(value), text, line: line)
            XCTAssertEqual(IPAddress(text)?.description, text, line: line)
        }
    }

    func testIPv6Canonical() {
        // (input, canonical RFC 5952 text)
        let cases: [(String, String, UInt)] = [
            ("::", "::", #line),
            ("::1", "::1", #line),
            ("1::", "1::", #line),
            ("0:0:0:0:0:0:0:1", "::1", #line),
            ("2001:DB8:0:0:0:0:2:1", "2001:db8::2:1", #line),
            ("2001:db8::1", "2001:db8::1", #line),
            ("2001:0db8:0000:0000:0000:ff00:0042:8329", "2001:db8::ff00:42:8329", #line),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", #line),  // a single zero group is not compressed
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1", #line),  // the longest run wins
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", #line),  // the first of equal runs wins
            ("fe80::1:2:3:4", "fe80::1:2:3:4", #line),
            ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8", #line),
            ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", #line),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4", #line),
            ("::FFFF:102:304", "::ffff:1.2.3.4", #line),
            ("64:ff9b::192.0.2.33", "64:ff9b::c000:221", #line),
            ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", #line),
        ]
        for (text, canonical, line) in cases {
            let address = IPAddress(text)
            XCTAssertNotNil(address, text, line: line)
            XCTAssertEqual(address?.description, canonical, text, line: line)
            XCTAssertEqual(address.flatMap { IPAddress($0.description) }, address, "round trip", line: line)
        }
        XCTAssertEqual(IPAddress("::1"), .v6(0, 1))
        XCTAssertEqual(IPAddress("2001:db8::"), .v6(0x2001_0DB8_0000_0000, 0))
        XCTAssertEqual(IPAddress("::ffff:1.2.3.4")?.ipv4Mapped, 0x0102_0304)
    }

    func testRejects() {
        let cases: [(String, UInt)] = [
            ("", #line), ("1.2.3", #line), ("1.2.3.4.5", #line), ("256.1.1.1", #line), ("01.2.3.4", #line),
            ("1.2.3.-4", #line), ("1..2.3", #line), ("1.2.3.4 ", #line), (" 1.2.3.4", #line), ("a.b.c.d", #line),
            ("1.2.3.4.", #line), ("1234.1.1.1", #line),
            (":", #line), (":::", #line), ("1:::2", #line), ("1::2::3", #line), (":1:2:3:4:5:6:7", #line),
            ("1:2:3:4:5:6:7:8:9", #line), ("1:2:3:4:5:6:7", #line), ("1:2:3:4:5:6:7:8::", #line),
            ("12345::", #line), ("g::1", #line), ("1:", #line), ("::1%eth0", #line), ("[::1]", #line),
            ("::1.2.3.4:5", #line), ("::256.1.1.1", #line), ("1:2:3:4:5:6:7:1.2.3.4", #line), ("1.2.3.4::", #line),
        ]
        for (text, line) in cases {
            XCTAssertNil(IPAddress(text), "IPAddress(\(text))", line: line)
        }
    }

    func testRanges() {
        // (cidr, address, contained)
        let cases: [(String, String, Bool, UInt)] = [
            ("10.0.0.0/8", "10.1.2.3", true, #line),
            ("10.0.0.0/8", "11.0.0.0", false, #line),
            ("10.0.0.0/8", "::ffff:10.9.9.9", true, #line),
            ("10.0.0.0/8", "::ffff:11.9.9.9", false, #line),
            ("10.0.0.0/8", "::1", false, #line),
            ("192.168.1.0/24", "192.168.1.255", true, #line),
            ("192.168.1.0/24", "192.168.2.0", false, #line),
            ("127.0.0.1", "127.0.0.1", true, #line),
            ("127.0.0.1", "127.0.0.2", false, #line),
            ("0.0.0.0/0", "203.0.113.9", true, #line),
            ("::1/128", "::1", true, #line),
            ("::1", "::2", false, #line),
            ("fd00::/8", "fd12:3456::1", true, #line),
            ("fd00::/8", "fe80::1", false, #line),
            ("2001:db8::/32", "2001:db8:ffff::1", true, #line),
            ("2001:db8::/33", "2001:db8:8000::1", false, #line),
            ("2001:db8:0:0:8000::/65", "2001:db8::8000:0:0:1", true, #line),
            ("::/0", "1.2.3.4", true, #line),
            ("::ffff:0:0/96", "1.2.3.4", true, #line),
            ("::ffff:0:0/96", "::1", false, #line),
        ]
        for (cidr, text, expected, line) in cases {
            guard let range = IPAddressRange(cidr), let address = IPAddress(text) else {
                XCTFail("could not parse \(cidr) or \(text)", line: line)
                continue
            }
            XCTAssertEqual(range.contains(address), expected, "\(cidr) contains \(text)", line: line)
        }
    }

    func testRangeParsing() {
        let valid: [(String, String, UInt)] = [
            ("10.0.0.0/8", "10.0.0.0/8", #line), ("10.1.2.3/8", "10.0.0.0/8", #line),
            ("127.0.0.1", "127.0.0.1/32", #line), ("::1", "::1/128", #line), ("2001:DB8::/32", "2001:db8::/32", #line),
            ("0.0.0.0/0", "0.0.0.0/0", #line),
        ]
        for (text, description, line) in valid {
            XCTAssertEqual(IPAddressRange(text)?.description, description, line: line)
        }
        let invalid: [(String, UInt)] = [
            ("10.0.0.0/33", #line), ("::/129", #line), ("10.0.0.0/", #line), ("10.0.0.0/-1", #line),
            ("10.0.0.0/08", #line), ("10.0.0/8", #line), ("/8", #line), ("10.0.0.0/8/8", #line), ("x", #line),
        ]
        for (text, line) in invalid {
            XCTAssertNil(IPAddressRange(text), text, line: line)
        }
    }
}
