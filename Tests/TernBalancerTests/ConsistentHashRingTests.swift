import TernBalancer
import XCTest

final class ConsistentHashRingTests: XCTestCase {
    private let keys = (0..<30_000).map { "/objects/\($0)?v=1" }

    /// The member of every key in `keys`, with `available` deciding availability.
    private func placement(_ ring: ConsistentHashRing, available: (Int) -> Bool = { _ in true }) -> [Int?] {
        self.keys.map { ring.next(key: $0, isAvailable: available) }
    }

    func testSameKeySameMember() {
        let ring = ConsistentHashRing(weights: [1, 1, 1])
        let rebuilt = ConsistentHashRing(weights: [1, 1, 1])
        for key in self.keys.prefix(1_000) {
            let first = ring.next(key: key, isAvailable: { _ in true })
            XCTAssertNotNil(first)
            XCTAssertEqual(ring.next(key: key, isAvailable: { _ in true }), first)
            XCTAssertEqual(rebuilt.next(key: key, isAvailable: { _ in true }), first, "the ring must not depend on process state")
            XCTAssertEqual(ring.next(key: Array(key.utf8), isAvailable: { _ in true }), first, "String and bytes must agree")
        }
    }

    func testHashIsStableAcrossReleases() {
        // Pinned values: FNV-1a 64 then fmix64. Changing the hash remaps every key of every deployed pool.
        let cases: [(key: String, fnv: UInt64, line: UInt)] = [
            ("", 0xcbf2_9ce4_8422_2325, #line),
            ("a", 0xaf63_dc4c_8601_ec8c, #line),
            ("foobar", 0x8594_4171_f739_67e8, #line),
        ]
        for testCase in cases {
            XCTAssertEqual(ConsistentHashRing.hash(key: testCase.key.utf8), Self.fmix64(testCase.fnv), line: testCase.line)
        }
    }

    func testEvenDistributionOverEqualMembers() {
        let ring = ConsistentHashRing(weights: [1, 1, 1])
        XCTAssertEqual(ring.pointCount, 3 * ConsistentHashRing.defaultVirtualNodesPerWeight)
        var counts = [0, 0, 0]
        for member in self.placement(ring) {
            guard let member else { return XCTFail("no member") }
            counts[member] += 1
        }
        for count in counts {
            XCTAssertEqual(Double(count), 10_000, accuracy: 1_500, "counts: \(counts)")
        }
    }

    func testWeightedDistribution() {
        let ring = ConsistentHashRing(weights: [1, 3])
        var counts = [0, 0]
        for member in self.placement(ring) {
            guard let member else { return XCTFail("no member") }
            counts[member] += 1
        }
        XCTAssertEqual(Double(counts[0]), 7_500, accuracy: 7_500 * 0.15, "counts: \(counts)")
        XCTAssertEqual(Double(counts[1]), 22_500, accuracy: 22_500 * 0.15, "counts: \(counts)")
    }

    func testRemovingAMemberRemapsOnlyItsKeysAndAddingBackRestores() {
        let ring = ConsistentHashRing(weights: [1, 1, 1, 1])
        let before = self.placement(ring)
        for removed in 0..<4 {
            let during = self.placement(ring) { $0 != removed }
            var moved = 0
            for (index, (old, new)) in zip(before, during).enumerated() {
                XCTAssertNotEqual(new, removed)
                if old == removed {
                    moved += 1
                } else {
                    XCTAssertEqual(new, old, "key \(self.keys[index]) moved though its member stayed")
                }
            }
            XCTAssertGreaterThan(moved, 0)
            // The removed member's keys spread over the others rather than all landing on one.
            let receivers = Set(zip(before, during).filter { $0.0 == removed }.map(\.1))
            XCTAssertEqual(receivers.count, 3, "removed \(removed)")
            XCTAssertEqual(self.placement(ring), before, "restoring \(removed) must restore placement")
        }
    }

    func testMemberKeysMakePlacementIndependentOfOrder() {
        let forward = ConsistentHashRing(weights: [1, 1, 1], memberKeys: ["a:80", "b:80", "c:80"])
        let reversed = ConsistentHashRing(weights: [1, 1, 1], memberKeys: ["c:80", "b:80", "a:80"])
        for key in self.keys.prefix(2_000) {
            let forwardMember = forward.next(key: key, isAvailable: { _ in true })
            let reversedMember = reversed.next(key: key, isAvailable: { _ in true })
            XCTAssertEqual(forwardMember.map { 2 - $0 }, reversedMember)
        }
    }

    func testEdgeCases() {
        let cases: [(weights: [Int], available: Set<Int>, expected: Int?, line: UInt)] = [
            ([], [], nil, #line),
            ([1, 1], [], nil, #line),
            ([0, 0], [0, 1], nil, #line),
            ([0, 1, 0], [0, 1, 2], 1, #line),
            ([1, 1, 1], [2], 2, #line),
        ]
        for testCase in cases {
            let ring = ConsistentHashRing(weights: testCase.weights)
            var calls = 0
            let got = ring.next(key: "k") { member in
                calls += 1
                return testCase.available.contains(member)
            }
            XCTAssertEqual(got, testCase.expected, line: testCase.line)
            XCTAssertLessThanOrEqual(calls, testCase.weights.count, "each member is asked at most once", line: testCase.line)
        }
    }

    func testLookupWrapsPastTheLastPoint() {
        let ring = ConsistentHashRing(weights: [1, 1])
        let atMax = ring.next(hash: .max, isAvailable: { _ in true })
        let atZero = ring.next(hash: 0, isAvailable: { _ in true })
        XCTAssertEqual(atMax, atZero, "a position past the last point belongs to the first point")
    }

    private static func fmix64(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
