import NIOCore
import TernBalancer
import XCTest

/// Passive health decisions per pool: what counts, thresholds and windows, and the last available
/// member never being ejected.
final class PoolHealthTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ millis: Int64) -> NIODeadline { self.start + .milliseconds(millis) }

    private static let closed = RequestOutcome.failure(.reset)
    private static let refused = RequestOutcome.failure(.connect)
    private static let timedOut = RequestOutcome.failure(.timeout)
    private static let garbage = RequestOutcome.failure(.invalidResponse)
    private static let ok = RequestOutcome.response(status: 200)
    private static let e500 = RequestOutcome.response(status: 500)
    private static let e503 = RequestOutcome.response(status: 503)
    private static let e404 = RequestOutcome.response(status: 404)

    struct Step {
        var member: Int
        var outcome: RequestOutcome
        var atMillis: Int64
        var events: [PoolHealth.Event]
        var line: UInt
    }

    private func run(_ pool: inout PoolHealth, _ steps: [Step]) {
        for step in steps {
            let events = pool.recordRequest(member: step.member, outcome: step.outcome, now: self.at(step.atMillis))
            XCTAssertEqual(events, step.events, "at \(step.atMillis) ms", line: step.line)
        }
    }

    func testSingleMemberIsNeverEjectedButSuppressionIsReported() {
        // The case: an origin that closes without answering three times.
        var pool = PoolHealth(count: 1, configuration: HealthConfiguration(passiveMaxFailures: 3, passiveCooldown: .seconds(10)))
        self.run(&pool, [
            Step(member: 0, outcome: Self.closed, atMillis: 0, events: [], line: #line),
            Step(member: 0, outcome: Self.closed, atMillis: 1, events: [], line: #line),
            Step(member: 0, outcome: Self.closed, atMillis: 2, events: [.ejectionSuppressed(member: 0, reason: .reset)], line: #line),
            // The count starts afresh: the next suppression needs three more failures.
            Step(member: 0, outcome: Self.closed, atMillis: 3, events: [], line: #line),
            Step(member: 0, outcome: Self.refused, atMillis: 4, events: [], line: #line),
            Step(member: 0, outcome: Self.timedOut, atMillis: 5, events: [.ejectionSuppressed(member: 0, reason: .timeout)], line: #line),
        ])
        XCTAssertTrue(pool.isAvailable(0, now: self.at(6)), "the only member always receives requests")
        XCTAssertNil(pool.members[0].ejectedUntil)
    }

    func testTwoMembersOneEjectedThenTheOtherIsTheLast() {
        var pool = PoolHealth(count: 2, configuration: HealthConfiguration(passiveMaxFailures: 2, passiveCooldown: .seconds(10)))
        self.run(&pool, [
            Step(member: 0, outcome: Self.refused, atMillis: 0, events: [], line: #line),
            Step(member: 0, outcome: Self.refused, atMillis: 1, events: [.ejected(member: 0, reason: .connect, until: self.at(10_001))], line: #line),
            // Member 1 is now the last available one.
            Step(member: 1, outcome: Self.refused, atMillis: 2, events: [], line: #line),
            Step(member: 1, outcome: Self.refused, atMillis: 3, events: [.ejectionSuppressed(member: 1, reason: .connect)], line: #line),
            // Member 0 returns at its deadline (reported before the next event), after which member 1 may be ejected.
            Step(member: 1, outcome: Self.closed, atMillis: 10_001, events: [.returned(member: 0, reason: .connect)], line: #line),
            Step(member: 1, outcome: Self.closed, atMillis: 10_002, events: [.ejected(member: 1, reason: .reset, until: self.at(20_002))], line: #line),
        ])
        XCTAssertTrue(pool.isAvailable(0, now: self.at(10_003)))
        XCTAssertFalse(pool.isAvailable(1, now: self.at(10_003)))
    }

    func testProbeUnhealthyMembersDoNotCountAsAvailable() {
        var pool = PoolHealth(count: 2, configuration: HealthConfiguration(rise: 1, fall: 1, passiveMaxFailures: 1))
        XCTAssertEqual(pool.recordProbe(member: 0, success: false, now: self.at(0)), [.becameUnhealthy(member: 0)])
        // Member 1 is the only available one: not ejected.
        XCTAssertEqual(pool.recordRequest(member: 1, outcome: Self.closed, now: self.at(1)), [.ejectionSuppressed(member: 1, reason: .reset)])
        XCTAssertEqual(pool.recordProbe(member: 0, success: true, now: self.at(2)), [.becameHealthy(member: 0)])
        XCTAssertEqual(pool.recordRequest(member: 1, outcome: Self.closed, now: self.at(3)), [.ejected(member: 1, reason: .reset, until: self.at(10_003))])
    }

    func testOnlyConfiguredFailureKindsCount() {
        let cases: [(counted: Set<FailureKind>, outcome: RequestOutcome, ejects: Bool, line: UInt)] = [
            (FailureKind.defaultCounted, Self.refused, true, #line),
            (FailureKind.defaultCounted, Self.closed, true, #line),
            (FailureKind.defaultCounted, Self.timedOut, true, #line),
            (FailureKind.defaultCounted, Self.garbage, true, #line),
            ([.connect], Self.closed, false, #line),
            ([.connect], Self.timedOut, false, #line),
            ([.connect], Self.refused, true, #line),
            ([.timeout, .reset], Self.refused, false, #line),
            ([.timeout, .reset], Self.timedOut, true, #line),
            ([], Self.closed, false, #line),
            // 5xx never counts as a transport failure, whatever the list says.
            ([.status5xx], Self.e500, false, #line),
        ]
        for c in cases {
            var pool = PoolHealth(count: 2, configuration: HealthConfiguration(passiveMaxFailures: 1, countedFailures: c.counted))
            let events = pool.recordRequest(member: 0, outcome: c.outcome, now: self.at(0))
            XCTAssertEqual(!events.isEmpty, c.ejects, "\(c.counted) \(c.outcome): \(events)", line: c.line)
            XCTAssertEqual(pool.isAvailable(0, now: self.at(1)), !c.ejects, line: c.line)
        }
    }

    func testUncountedFailureNeitherBreaksNorExtendsTheStreak() {
        var pool = PoolHealth(count: 2, configuration: HealthConfiguration(passiveMaxFailures: 2, countedFailures: [.connect]))
        self.run(&pool, [
            Step(member: 0, outcome: Self.refused, atMillis: 0, events: [], line: #line),
            Step(member: 0, outcome: Self.closed, atMillis: 1, events: [], line: #line),
            Step(member: 0, outcome: Self.refused, atMillis: 2, events: [.ejected(member: 0, reason: .connect, until: self.at(10_002))], line: #line),
        ])
    }

    func testServerErrorsAreOffByDefault() {
        var pool = PoolHealth(count: 2, configuration: HealthConfiguration(passiveMaxFailures: 1))
        for ms in 0..<100 {
            XCTAssertEqual(pool.recordRequest(member: 0, outcome: Self.e500, now: self.at(Int64(ms))), [])
        }
        XCTAssertTrue(pool.isAvailable(0, now: self.at(100)))
    }

    func testServerErrorThresholdInWindow() {
        let config = HealthConfiguration(passiveMaxFailures: 3, passiveCooldown: .seconds(5), serverErrorThreshold: 3, serverErrorWindow: .seconds(1))
        var pool = PoolHealth(count: 2, configuration: config)
        self.run(&pool, [
            Step(member: 0, outcome: Self.e500, atMillis: 0, events: [], line: #line),
            Step(member: 0, outcome: Self.ok, atMillis: 100, events: [], line: #line),  // successes do not clear the window
            Step(member: 0, outcome: Self.e404, atMillis: 200, events: [], line: #line),  // 4xx is not a server error
            Step(member: 0, outcome: Self.e503, atMillis: 300, events: [], line: #line),
            // The first 500 left the window (at exactly 1 s old it no longer counts).
            Step(member: 0, outcome: Self.e500, atMillis: 1_000, events: [], line: #line),
            Step(member: 0, outcome: Self.e500, atMillis: 1_200, events: [.ejected(member: 0, reason: .status5xx, until: self.at(6_200))], line: #line),
            // Late 5xx during the ejection are ignored.
            Step(member: 0, outcome: Self.e500, atMillis: 1_300, events: [], line: #line),
        ])
        XCTAssertTrue(pool.members[0].recentServerErrors.isEmpty)
    }

    func testServerErrorsResetTheTransportStreakAndSuppressOnTheLastMember() {
        let config = HealthConfiguration(passiveMaxFailures: 2, serverErrorThreshold: 2, serverErrorWindow: .seconds(10))
        var pool = PoolHealth(count: 1, configuration: config)
        self.run(&pool, [
            Step(member: 0, outcome: Self.closed, atMillis: 0, events: [], line: #line),
            Step(member: 0, outcome: Self.e500, atMillis: 1, events: [], line: #line),  // it answered: streak reset
            Step(member: 0, outcome: Self.closed, atMillis: 2, events: [], line: #line),
            Step(member: 0, outcome: Self.e500, atMillis: 3, events: [.ejectionSuppressed(member: 0, reason: .status5xx)], line: #line),
        ])
        XCTAssertTrue(pool.isAvailable(0, now: self.at(4)))
    }

    func testPassiveOffIgnoresEverything() {
        var pool = PoolHealth(count: 2, configuration: HealthConfiguration(passiveMaxFailures: 0, serverErrorThreshold: 1))
        for outcome in [Self.closed, Self.refused, Self.timedOut, Self.garbage, Self.e500] {
            XCTAssertEqual(pool.recordRequest(member: 0, outcome: outcome, now: self.at(0)), [])
        }
        XCTAssertTrue(pool.isAvailable(0, now: self.at(0)))
    }

    func testExpireEjectionsReportsEachReturnOnce() {
        var pool = PoolHealth(count: 3, configuration: HealthConfiguration(passiveMaxFailures: 1, passiveCooldown: .seconds(1)))
        XCTAssertEqual(pool.recordRequest(member: 0, outcome: Self.garbage, now: self.at(0)),
                       [.ejected(member: 0, reason: .invalidResponse, until: self.at(1_000))])
        XCTAssertEqual(pool.recordRequest(member: 1, outcome: Self.timedOut, now: self.at(500)),
                       [.ejected(member: 1, reason: .timeout, until: self.at(1_500))])
        XCTAssertEqual(pool.expireEjections(now: self.at(999)), [])
        XCTAssertEqual(pool.expireEjections(now: self.at(1_000)), [.returned(member: 0, reason: .invalidResponse)])
        XCTAssertEqual(pool.expireEjections(now: self.at(1_200)), [])
        XCTAssertEqual(pool.expireEjections(now: self.at(2_000)), [.returned(member: 1, reason: .timeout)])
        XCTAssertEqual(pool.expireEjections(now: self.at(3_000)), [])
    }

    func testEventNames() {
        let cases: [(PoolHealth.Event, String)] = [
            (.ejected(member: 0, reason: .reset, until: self.start), "ejected"),
            (.ejectionSuppressed(member: 0, reason: .reset), "ejection_suppressed"),
            (.returned(member: 0, reason: .reset), "returned"),
            (.becameUnhealthy(member: 0), "became_unhealthy"),
            (.becameHealthy(member: 0), "became_healthy"),
        ]
        for (event, name) in cases { XCTAssertEqual(event.name, name) }
        XCTAssertEqual(FailureKind.allCases.map(\.rawValue), ["connect", "reset", "timeout", "invalid_response", "5xx", "probe"])
    }
}
