import TernBalancer
import XCTest

final class SmoothWeightedRoundRobinTests: XCTestCase {
    /// Picks `count` members with `available` deciding availability.
    private func picks(
        _ selector: inout SmoothWeightedRoundRobin,
        count: Int,
        available: (Int) -> Bool = { _ in true }
    ) -> [Int?] {
        (0..<count).map { _ in selector.next(isAvailable: available) }
    }

    func testSequencesMatchNginx() {
        // (weights, expected first cycle). [5,1,1] is the example from nginx's smooth weighted round-robin.
        let cases: [(weights: [Int], expected: [Int], line: UInt)] = [
            ([5, 1, 1], [0, 0, 1, 0, 2, 0, 0], #line),
            ([1, 1, 1], [0, 1, 2], #line),
            ([2, 1], [0, 1, 0], #line),
            ([3, 1], [0, 0, 1, 0], #line),
            ([1], [0], #line),
        ]
        for testCase in cases {
            var selector = SmoothWeightedRoundRobin(weights: testCase.weights)
            // Two cycles: the sequence is periodic with period sum(weights).
            let got = self.picks(&selector, count: testCase.expected.count * 2)
            XCTAssertEqual(got, testCase.expected + testCase.expected, line: testCase.line)
            XCTAssertEqual(selector.currentWeights, Array(repeating: 0, count: testCase.weights.count), line: testCase.line)
        }
    }

    func testExactRatioOverManyPicks() {
        var selector = SmoothWeightedRoundRobin(weights: [3, 1])
        var counts = [0, 0]
        for _ in 0..<10_000 {
            guard let member = selector.next(isAvailable: { _ in true }) else { return XCTFail("no pick") }
            counts[member] += 1
        }
        XCTAssertEqual(counts, [7_500, 2_500])
    }

    func testUnavailableMemberIsSkippedAndOthersKeepRatio() {
        var selector = SmoothWeightedRoundRobin(weights: [5, 1, 1])
        // From a fresh start with member 1 down: members 0 and 2 split 5:1 exactly per 6 picks.
        var counts = [0, 0, 0]
        for _ in 0..<600 {
            guard let member = selector.next(isAvailable: { $0 != 1 }) else { return XCTFail("no pick") }
            counts[member] += 1
        }
        XCTAssertEqual(counts, [500, 0, 100])
        XCTAssertEqual(selector.currentWeights[1], 0, "an unavailable member must not accumulate")
    }

    func testMemberGoingDownMidwayKeepsRatioOfTheRest() {
        var selector = SmoothWeightedRoundRobin(weights: [2, 3, 1])
        _ = self.picks(&selector, count: 4)
        // Member 1 goes down mid-cycle; its frozen current weight biases the others by at most one pick.
        var counts = [0, 0, 0]
        for _ in 0..<3_000 {
            guard let member = selector.next(isAvailable: { $0 != 1 }) else { return XCTFail("no pick") }
            counts[member] += 1
        }
        XCTAssertEqual(counts[1], 0)
        XCTAssertEqual(Double(counts[0]), 2_000, accuracy: 2)
        XCTAssertEqual(Double(counts[2]), 1_000, accuracy: 2)
    }

    func testNoneAvailableAndZeroWeights() {
        let cases: [(weights: [Int], available: Set<Int>, expected: [Int?], line: UInt)] = [
            ([], [], [nil], #line),
            ([1, 1], [], [nil, nil], #line),
            ([0, 0], [0, 1], [nil], #line),
            ([0, 2, -1], [0, 1, 2], [1, 1, 1], #line),
            ([1, 1, 1], [2], [2, 2], #line),
        ]
        for testCase in cases {
            var selector = SmoothWeightedRoundRobin(weights: testCase.weights)
            let got = self.picks(&selector, count: testCase.expected.count) { testCase.available.contains($0) }
            XCTAssertEqual(got, testCase.expected, line: testCase.line)
        }
    }

    func testRecoveredMemberRejoinsWithoutBurst() {
        var selector = SmoothWeightedRoundRobin(weights: [1, 1, 1])
        _ = self.picks(&selector, count: 30) { $0 != 2 }
        // Member 2 was frozen at 0 while down, so it rejoins in turn rather than being flooded.
        let got = self.picks(&selector, count: 6)
        XCTAssertEqual(got.filter { $0 == 2 }.count, 2)
    }
}
