import TernBalancer
import XCTest

final class LeastConnectionsTests: XCTestCase {
    func testPicksLowestLoadRelativeToWeight() {
        let cases: [(weights: [Int], inFlight: [Int], available: Set<Int>, expected: Int?, line: UInt)] = [
            ([1, 1, 1], [5, 2, 7], [0, 1, 2], 1, #line),
            ([1, 1, 1], [5, 2, 7], [0, 2], 0, #line),
            // 6/3 = 2 beats 3/1 = 3: weight 3 carries three times the load for the same share.
            ([1, 3], [3, 6], [0, 1], 1, #line),
            // 9/3 = 3 loses to 2/1 = 2.
            ([1, 3], [2, 9], [0, 1], 0, #line),
            ([1, 1], [0, 0], [], nil, #line),
            ([0, 1], [0, 100], [0, 1], 1, #line),
            // Negative counts are treated as zero.
            ([1, 1], [-4, 0], [0, 1], 0, #line),
            // Large products do not overflow.
            ([Int.max, 1], [Int.max, Int.max - 1], [0, 1], 0, #line),
        ]
        for testCase in cases {
            var selector = LeastConnections(weights: testCase.weights)
            let got = selector.next(
                inFlight: { testCase.inFlight[$0] },
                isAvailable: { testCase.available.contains($0) }
            )
            XCTAssertEqual(got, testCase.expected, line: testCase.line)
        }
    }

    func testTiesRotateSoEqualMembersShare() {
        var selector = LeastConnections(weights: [1, 1, 1])
        let got = (0..<6).map { _ in selector.next(inFlight: { _ in 0 }, isAvailable: { _ in true }) }
        XCTAssertEqual(got, [0, 1, 2, 0, 1, 2])
    }

    func testTiesRotateOnlyAmongTiedMembers() {
        var selector = LeastConnections(weights: [1, 1, 1, 1])
        let inFlight = [3, 1, 9, 1]
        let got = (0..<4).map { _ in selector.next(inFlight: { inFlight[$0] }, isAvailable: { _ in true }) }
        XCTAssertEqual(got, [1, 3, 1, 3])
    }

    func testWeightedShareUnderSimulatedLoad() {
        // Each pick adds a request; the loads stay proportional to weights 1:2:3.
        var selector = LeastConnections(weights: [1, 2, 3])
        var inFlight = [0, 0, 0]
        for _ in 0..<600 {
            guard let member = selector.next(inFlight: { inFlight[$0] }, isAvailable: { _ in true }) else {
                return XCTFail("no pick")
            }
            inFlight[member] += 1
        }
        XCTAssertEqual(inFlight, [100, 200, 300])
    }
}
