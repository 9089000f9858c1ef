import TernCore
import TernLimits
import XCTest

final class ClientIdentityTests: XCTestCase {
    let trusted = ["10.0.0.0/8", "2001:db8:ffff::/48"].compactMap(IPAddressRange.init)

    func ip(_ text: String) -> IPAddress {
        guard let address = IPAddress(text) else {
            XCTFail("bad test address \(text)")
            return .v4(0)
        }
        return address
    }

    func testResolveTable() {
        // (peer, X-Forwarded-For field lines, expected client)
        let cases: [(String, [String], String, UInt)] = [
            // Untrusted peer: the header is ignored, however plausible.
            ("203.0.113.9", ["198.51.100.7"], "203.0.113.9", #line),
            ("203.0.113.9", ["10.0.0.1"], "203.0.113.9", #line),
            // Trusted peer, no header (or only empty elements): the peer.
            ("10.0.0.1", [], "10.0.0.1", #line),
            ("10.0.0.1", ["", " , "], "10.0.0.1", #line),
            // One trusted proxy.
            ("10.0.0.1", ["198.51.100.7"], "198.51.100.7", #line),
            // Two trusted proxies in a chain: client → 10.0.0.1 → 10.0.0.2 → us.
            ("10.0.0.2", ["198.51.100.7, 10.0.0.1"], "198.51.100.7", #line),
            // The client prepended spoofed entries: the right-most untrusted one wins.
            ("10.0.0.2", ["6.6.6.6, 10.9.9.9, 198.51.100.7, 10.0.0.1"], "198.51.100.7", #line),
            // The same list split over field lines, with empty elements and odd whitespace.
            ("10.0.0.2", ["6.6.6.6", "198.51.100.7 ,\t", ",10.0.0.1"], "198.51.100.7", #line),
            // Everything trusted: the left-most element.
            ("10.0.0.2", ["10.0.0.5, 10.0.0.1"], "10.0.0.5", #line),
            // Ports, brackets and quotes.
            ("10.0.0.1", ["198.51.100.7:4711"], "198.51.100.7", #line),
            ("10.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1", #line),
            ("10.0.0.1", ["[2001:db8::1]"], "2001:db8::1", #line),
            ("10.0.0.1", ["2001:db8::1"], "2001:db8::1", #line),
            ("10.0.0.1", ["\"[2001:db8::1]:443\""], "2001:db8::1", #line),
            ("10.0.0.1", ["\"198.51.100.7\""], "198.51.100.7", #line),
            // IPv6 chain of trusted proxies.
            ("2001:db8:ffff::1", ["2001:db8:1::5, 2001:db8:ffff::2"], "2001:db8:1::5", #line),
            // A trusted peer seen as IPv4-mapped IPv6 (dual-stack socket).
            ("::ffff:10.0.0.1", ["198.51.100.7"], "198.51.100.7", #line),
            // Malformed entries stop the walk at the last accepted address.
            ("10.0.0.2", ["198.51.100.7, unknown, 10.0.0.1"], "10.0.0.1", #line),
            ("10.0.0.2", ["198.51.100.7, unknown"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, _hidden, 10.0.0.1"], "10.0.0.1", #line),
            ("10.0.0.2", ["198.51.100.7, 1.2.3"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, 999.1.1.1"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, fe80::1%eth0"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, [::1"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, 1.2.3.4:99999"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, 1.2.3.4:"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, 1.2.3.4:80:90"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, [2001:db8::1]:x"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, [1.2.3.4]"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, \"1.2.3.4"], "10.0.0.2", #line),
            ("10.0.0.2", ["198.51.100.7, 1.2.3.4:_port"], "10.0.0.2", #line),
            // A malformed entry left of the first untrusted one does not matter.
            ("10.0.0.2", ["garbage, 198.51.100.7, 10.0.0.1"], "198.51.100.7", #line),
        ]
        for (peer, forwardedFor, expected, line) in cases {
            let resolved = ClientIdentity.resolve(peer: self.ip(peer), forwardedFor: forwardedFor, trusted: self.trusted)
            XCTAssertEqual(resolved, self.ip(expected), "peer \(peer) XFF \(forwardedFor)", line: line)
        }
    }

    func testNoTrustedRangesAlwaysReturnsPeer() {
        let resolved = ClientIdentity.resolve(peer: self.ip("10.0.0.1"), forwardedFor: ["198.51.100.7"], trusted: [])
        XCTAssertEqual(resolved, self.ip("10.0.0.1"))
    }
}
