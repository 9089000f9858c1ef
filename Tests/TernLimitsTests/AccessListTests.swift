import TernCore
import TernLimits
import XCTest

final class AccessListTests: XCTestCase {
    func ranges(_ texts: [String]) -> [IPAddressRange] {
        texts.compactMap { text in
            let range = IPAddressRange(text)
            if range == nil { XCTFail("bad test range \(text)") }
            return range
        }
    }

    func check(_ list: AccessList, _ cases: [(String, Bool, UInt)]) {
        for (text, expected, line) in cases {
            guard let address = IPAddress(text) else {
                XCTFail("bad test address \(text)", line: line)
                continue
            }
            XCTAssertEqual(list.permits(address), expected, text, line: line)
        }
    }

    func testEmptyListPermitsEverything() {
        self.check(AccessList(), [("1.2.3.4", true, #line), ("::1", true, #line), ("::ffff:1.2.3.4", true, #line)])
        self.check(AccessList.permitAll, [("0.0.0.0", true, #line)])
    }

    func testDenyWinsOverAllow() {
        let list = AccessList(allow: self.ranges(["10.0.0.0/8", "2001:db8::/32"]), deny: self.ranges(["10.1.0.0/16", "2001:db8:bad::/48"]))
        self.check(list, [
            ("10.2.3.4", true, #line),
            ("10.1.2.3", false, #line),
            ("10.0.255.255", true, #line),
            ("10.1.0.0", false, #line),
            ("10.1.255.255", false, #line),
            ("10.2.0.0", true, #line),
            ("11.0.0.1", false, #line),
            ("2001:db8::1", true, #line),
            ("2001:db8:bad::1", false, #line),
            ("2001:db9::1", false, #line),
        ])
    }

    func testDenyOnlyList() {
        let list = AccessList(deny: self.ranges(["192.0.2.0/24", "::1"]))
        self.check(list, [
            ("192.0.2.7", false, #line), ("192.0.3.7", true, #line), ("::1", false, #line), ("::2", true, #line),
        ])
    }

    func testIPv4MappedAddressesMatchIPv4Ranges() {
        let list = AccessList(allow: self.ranges(["198.51.100.0/24"]), deny: self.ranges(["198.51.100.13"]))
        self.check(list, [
            ("::ffff:198.51.100.7", true, #line),
            ("::ffff:198.51.100.13", false, #line),
            ("::ffff:198.51.101.7", false, #line),
            ("198.51.100.7", true, #line),
            // An IPv6 address whose low bits look like the IPv4 range but is not mapped.
            ("::c633:6407", false, #line),
        ])
    }

    func testZeroPrefixesAndOverlaps() {
        self.check(AccessList(deny: self.ranges(["0.0.0.0/0"])), [
            ("1.2.3.4", false, #line), ("::ffff:1.2.3.4", false, #line), ("2001:db8::1", true, #line),
        ])
        self.check(AccessList(allow: self.ranges(["::/0"])), [("1.2.3.4", true, #line), ("2001:db8::1", true, #line)])
        let overlapping = AccessList(allow: self.ranges(["10.0.0.0/8", "10.0.0.0/16", "10.5.0.0/16", "10.0.0.0/8", "11.0.0.0/8"]))
        self.check(overlapping, [
            ("10.200.0.1", true, #line), ("11.255.255.255", true, #line), ("12.0.0.0", false, #line),
            ("9.255.255.255", false, #line),
        ])
        self.check(AccessList(allow: self.ranges(["255.255.255.255/32", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"])), [
            ("255.255.255.255", true, #line), ("255.255.255.254", false, #line),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true, #line), ("::", false, #line),
        ])
    }

    /// Randomised equivalence with a linear scan of `IPAddressRange.contains`, the reference semantics.
    func testMatchesLinearScan() {
        var random = SplitMix64(seed: 42)
        let allow = Self.randomRanges(300, v4Prefixes: 12...32, v6Prefixes: 24...128, &random)
        let deny = Self.randomRanges(700, v4Prefixes: 16...32, v6Prefixes: 40...128, &random)
        let list = AccessList(allow: allow, deny: deny)
        var probes = (0..<20_000).map { _ in Self.randomAddress(&random) }
        // Probe every range boundary and its neighbours.
        for range in allow + deny {
            probes.append(range.network)
            switch range.network {
            case .v4(let value):
                let last = value | (range.prefixLength == 0 ? .max : ~(UInt32.max << UInt32(32 - range.prefixLength)))
                probes += [.v4(last), .v4(last &+ 1), .v4(value &- 1)]
                probes.append(.v6(0, 0xFFFF_0000_0000 | UInt64(last &+ 1)))
            case .v6(let high, let low):
                let hostBits = 128 - range.prefixLength
                let lastLow = hostBits >= 64 ? UInt64.max : low | ~(UInt64.max << UInt64(hostBits))
                let lastHigh = hostBits > 64 ? high | ~(UInt64.max << UInt64(hostBits - 64)) : high
                probes += [.v6(lastHigh, lastLow), .v6(lastHigh &+ (lastLow == .max ? 1 : 0), lastLow &+ 1)]
                probes.append(.v6(high &- (low == 0 ? 1 : 0), low &- 1))
            }
        }
        for address in probes {
            let expected = !deny.contains { $0.contains(address) } && allow.contains { $0.contains(address) }
            XCTAssertEqual(list.permits(address), expected, "\(address)")
        }
    }

    /// Not a pass/fail test: prints lookup cost for ~1,000 entries (recorded in Docs/security.md).
    func testLookupCostWithThousandEntries() {
        var random = SplitMix64(seed: 7)
        let deny = Self.randomRanges(1_000, v4Prefixes: 16...32, v6Prefixes: 48...64, &random)
        let list = AccessList(deny: deny)
        let probes = (0..<4_096).map { _ in Self.randomAddress(&random) }
        let clock = ContinuousClock()
        let lookups = 1_000_000
        var permitted = 0
        let elapsed = clock.measure {
            for index in 0..<lookups where list.permits(probes[index & 4095]) { permitted += 1 }
        }
        var linearPermitted = 0
        let linearLookups = 20_000
        let linearElapsed = clock.measure {
            for index in 0..<linearLookups where !deny.contains(where: { $0.contains(probes[index & 4095]) }) {
                linearPermitted += 1
            }
        }
        let perLookup = Double(elapsed.components.attoseconds) / 1e9 / Double(lookups)
            + Double(elapsed.components.seconds) * 1e9 / Double(lookups)
        let perLinear = Double(linearElapsed.components.attoseconds) / 1e9 / Double(linearLookups)
            + Double(linearElapsed.components.seconds) * 1e9 / Double(linearLookups)
        print("AccessList 1000 deny ranges: \(Int(perLookup)) ns/lookup (linear scan \(Int(perLinear)) ns); permitted \(permitted)/\(linearPermitted)")
        XCTAssertGreaterThan(permitted, 0)
    }

    static func randomRanges(
        _ count: Int, v4Prefixes: ClosedRange<Int>, v6Prefixes: ClosedRange<Int>, _ random: inout SplitMix64
    ) -> [IPAddressRange] {
        (0..<count).compactMap { _ in
            var address = Self.randomAddress(&random)
            if let mapped = address.ipv4Mapped { address = .v4(mapped) }  // a short mapped prefix would cover all IPv4
            let prefixes = address.isIPv4 ? v4Prefixes : v6Prefixes
            let prefix = prefixes.lowerBound + Int(random.next() % UInt64(prefixes.count))
            return IPAddressRange(address: address, prefixLength: prefix)
        }
    }

    static func randomAddress(_ random: inout SplitMix64) -> IPAddress {
        switch random.next() % 4 {
        case 0, 1: return .v4(UInt32(truncatingIfNeeded: random.next()) & 0x0FFF_FFFF | 0x0A00_0000)  // dense 10.x–15.x
        case 2: return .v6(0x2001_0DB8_0000_0000 | (random.next() & 0xFFFF_FFFF), random.next())
        default: return .v6(0, 0xFFFF_0000_0000 | (random.next() & 0x0FFF_FFFF | 0x0A00_0000))  // IPv4-mapped
        }
    }
}
