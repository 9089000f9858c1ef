import NIOCore
import TernBalancer
import XCTest

final class MemberHealthTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    private func at(_ seconds: Int64) -> NIODeadline {
        self.start + .seconds(seconds)
    }

    func testStartsHealthyAndAvailable() {
        let health = MemberHealth(configuration: HealthConfiguration())
        XCTAssertEqual(health.probeState, .healthy)
        XCTAssertNil(health.ejectedUntil)
        XCTAssertTrue(health.isAvailable(now: self.start))
    }

    func testProbeFallAndRise() {
        // (probe result, expected transition, expected state after)
        let steps: [(success: Bool, transition: MemberHealth.Transition, state: MemberHealth.ProbeState, line: UInt)] = [
            (false, .none, .healthy, #line),
            (false, .none, .healthy, #line),
            (true, .none, .healthy, #line),  // success breaks the failure streak
            (false, .none, .healthy, #line),
            (false, .none, .healthy, #line),
            (false, .becameUnhealthy, .unhealthy, #line),
            (false, .none, .unhealthy, #line),
            (true, .none, .unhealthy, #line),
            (false, .none, .unhealthy, #line),  // failure breaks the success streak
            (true, .none, .unhealthy, #line),
            (true, .becameHealthy, .healthy, #line),
            (true, .none, .healthy, #line),
        ]
        var health = MemberHealth(configuration: HealthConfiguration(rise: 2, fall: 3, passiveMaxFailures: 0))
        for (offset, step) in steps.enumerated() {
            let now = self.at(Int64(offset))
            XCTAssertEqual(health.recordProbe(success: step.success, now: now), step.transition, line: step.line)
            XCTAssertEqual(health.probeState, step.state, line: step.line)
            XCTAssertEqual(health.isAvailable(now: now), step.state == .healthy, line: step.line)
        }
    }

    func testThresholdsBelowOneActLikeOne() {
        var health = MemberHealth(configuration: HealthConfiguration(rise: 0, fall: -2))
        XCTAssertEqual(health.recordProbe(success: false, now: self.start), .becameUnhealthy)
        XCTAssertEqual(health.recordProbe(success: true, now: self.start), .becameHealthy)
    }

    func testStartingUnhealthyNeedsRise() {
        var health = MemberHealth(configuration: HealthConfiguration(rise: 2), probeState: .unhealthy)
        XCTAssertFalse(health.isAvailable(now: self.start))
        XCTAssertEqual(health.recordProbe(success: true, now: self.at(1)), .none)
        XCTAssertEqual(health.recordProbe(success: true, now: self.at(2)), .becameHealthy)
    }

    func testPassiveEjectionAndExpiry() {
        let config = HealthConfiguration(passiveMaxFailures: 3, passiveCooldown: .seconds(10))
        var health = MemberHealth(configuration: config)
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(0)), .none)
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(1)), .none)
        XCTAssertTrue(health.isAvailable(now: self.at(1)))
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(2)), .ejected(until: self.at(12)))
        XCTAssertEqual(health.ejectedUntil, self.at(12))
        XCTAssertEqual(health.consecutiveRequestFailures, 0)

        // Out for the cool-down, back exactly at its end; probe state is untouched.
        XCTAssertEqual(health.probeState, .healthy)
        XCTAssertFalse(health.isAvailable(now: self.at(2)))
        XCTAssertFalse(health.isAvailable(now: self.at(12) - .nanoseconds(1)))
        XCTAssertTrue(health.isAvailable(now: self.at(12)))

        // Late failures during the ejection neither extend it nor count towards the next one.
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(5)), .none)
        XCTAssertEqual(health.ejectedUntil, self.at(12))
        XCTAssertEqual(health.consecutiveRequestFailures, 0)

        // After expiry the counter starts afresh and a new streak ejects again.
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(13)), .none)
        XCTAssertNil(health.ejectedUntil, "an expired ejection is forgotten on the next event")
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(14)), .none)
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(15)), .ejected(until: self.at(25)))
    }

    func testSuccessResetsFailureCount() {
        var health = MemberHealth(configuration: HealthConfiguration(passiveMaxFailures: 2))
        let steps: [(success: Bool, transition: MemberHealth.Transition, line: UInt)] = [
            (false, .none, #line),
            (true, .none, #line),
            (false, .none, #line),
            (true, .none, #line),
            (false, .none, #line),
            (false, .ejected(until: self.at(5) + HealthConfiguration().passiveCooldown), #line),
        ]
        for (offset, step) in steps.enumerated() {
            XCTAssertEqual(health.recordRequest(success: step.success, now: self.at(Int64(offset))), step.transition, line: step.line)
        }
    }

    func testPassiveOffNeverEjects() {
        var health = MemberHealth(configuration: HealthConfiguration(passiveMaxFailures: 0))
        for second in 0..<100 {
            XCTAssertEqual(health.recordRequest(success: false, now: self.at(Int64(second))), .none)
        }
        XCTAssertTrue(health.isAvailable(now: self.at(100)))
    }

    func testProbeAndEjectionAreIndependent() {
        var health = MemberHealth(configuration: HealthConfiguration(rise: 1, fall: 1, passiveMaxFailures: 1))
        XCTAssertEqual(health.recordRequest(success: false, now: self.at(0)), .ejected(until: self.at(10)))
        // A passing probe does not cut the ejection short.
        XCTAssertEqual(health.recordProbe(success: true, now: self.at(1)), .none)
        XCTAssertFalse(health.isAvailable(now: self.at(1)))
        // Unhealthy by probe keeps it out after the ejection has expired.
        XCTAssertEqual(health.recordProbe(success: false, now: self.at(2)), .becameUnhealthy)
        XCTAssertFalse(health.isAvailable(now: self.at(11)))
        XCTAssertEqual(health.recordProbe(success: true, now: self.at(12)), .becameHealthy)
        XCTAssertTrue(health.isAvailable(now: self.at(12)))
    }

    func testTransitionNames() {
        let cases: [(MemberHealth.Transition, String)] = [
            (.becameUnhealthy, "became_unhealthy"),
            (.becameHealthy, "became_healthy"),
            (.ejected(until: self.start), "ejected"),
            (.ejectionSuppressed, "ejection_suppressed"),
            (.none, "none"),
        ]
        for (transition, name) in cases {
            XCTAssertEqual(transition.name, name)
        }
    }
}
