import TernBalancer
import XCTest

final class BalancerTests: XCTestCase {
    func testDispatchesToEachPolicy() {
        let inFlight = [4, 0, 9]
        let cases: [(policy: BalancingPolicy, weights: [Int], expected: [Int?], line: UInt)] = [
            (.roundRobin, [5, 1, 1], [0, 0, 1, 0, 2, 0, 0], #line),
            (.leastConnections, [1, 1, 1], [1, 1, 1], #line),
        ]
        for testCase in cases {
            var balancer = Balancer(policy: testCase.policy, weights: testCase.weights)
            XCTAssertEqual(balancer.memberCount, testCase.weights.count, line: testCase.line)
            XCTAssertEqual(balancer.policy, testCase.policy, line: testCase.line)
            let got = testCase.expected.indices.map { _ in
                balancer.pick(hashKey: "ignored", inFlight: { inFlight[$0] }, isAvailable: { _ in true })
            }
            XCTAssertEqual(got, testCase.expected, line: testCase.line)
        }
    }

    func testConsistentHashMatchesRing() {
        var balancer = Balancer(policy: .consistentHash, weights: [1, 2, 1])
        let ring = ConsistentHashRing(weights: [1, 2, 1])
        for index in 0..<500 {
            let key = "client-\(index)"
            let picked = balancer.pick(hashKey: key, inFlight: { _ in 0 }, isAvailable: { $0 != 1 })
            XCTAssertEqual(picked, ring.next(key: key, isAvailable: { $0 != 1 }))
            XCTAssertNotEqual(picked, 1)
        }
    }

    func testNoneAvailable() {
        for policy in [BalancingPolicy.roundRobin, .leastConnections, .consistentHash] {
            var balancer = Balancer(policy: policy, weights: [1, 1])
            XCTAssertNil(balancer.pick(hashKey: "k", inFlight: { _ in 0 }, isAvailable: { _ in false }), policy.name)
        }
    }

    func testCopiesAreIndependent() {
        // One balancer per event loop: a copy advances on its own.
        var first = Balancer(policy: .roundRobin, weights: [1, 1])
        var second = first
        XCTAssertEqual(first.pick(hashKey: "", inFlight: { _ in 0 }, isAvailable: { _ in true }), 0)
        XCTAssertEqual(first.pick(hashKey: "", inFlight: { _ in 0 }, isAvailable: { _ in true }), 1)
        XCTAssertEqual(second.pick(hashKey: "", inFlight: { _ in 0 }, isAvailable: { _ in true }), 0)
    }
}
