import TernLimits
import XCTest

final class GCRATests: XCTestCase {
    static let ms: Int64 = 1_000_000
    static let second: Int64 = 1_000_000_000

    /// 10 r/s, burst 20, on a manual clock: exactly what GCRA says, to the request.
    func testTenPerSecondBurstTwenty() throws {
        let limit = try RateLimit.parse("10r/s:20")
        var state: GCRAState?
        for index in 0..<20 {
            XCTAssertEqual(
                GCRA.check(state: &state, limit: limit, now: 0),
                .allowed(remaining: 19 - index, resetAfter: Int64(index + 1) * 100 * Self.ms), "request \(index + 1)"
            )
        }
        XCTAssertEqual(state, GCRAState(tat: 2 * Self.second))
        // The 21st at t = 0 must wait exactly one emission interval; refusing it costs nothing.
        XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: 0), .limited(retryAfter: 100 * Self.ms, resetAfter: 2 * Self.second))
        XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: 0), .limited(retryAfter: 100 * Self.ms, resetAfter: 2 * Self.second))
        XCTAssertEqual(state, GCRAState(tat: 2 * Self.second))
        // One nanosecond early is still refused.
        XCTAssertEqual(
            GCRA.check(state: &state, limit: limit, now: 100 * Self.ms - 1), .limited(retryAfter: 1, resetAfter: 1_900 * Self.ms + 1)
        )
        // Then exactly one more every 100 ms.
        for step in 1...50 {
            let now = Int64(step) * 100 * Self.ms
            XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: now), .allowed(remaining: 0, resetAfter: 2 * Self.second), "step \(step)")
            XCTAssertEqual(
                GCRA.check(state: &state, limit: limit, now: now), .limited(retryAfter: 100 * Self.ms, resetAfter: 2 * Self.second),
                "step \(step)"
            )
        }
        // A long idle restores the full burst.
        let later = 5 * Self.second + 2 * Self.second
        for index in 0..<20 {
            XCTAssertTrue(GCRA.check(state: &state, limit: limit, now: later).isAllowed, "after idle, request \(index + 1)")
        }
        XCTAssertFalse(GCRA.check(state: &state, limit: limit, now: later).isAllowed)
    }

    func testPartialRecovery() throws {
        let limit = try RateLimit.parse("10r/s:20")
        var state: GCRAState?
        for _ in 0..<20 { _ = GCRA.check(state: &state, limit: limit, now: 0) }
        // One second later, ten emission intervals have passed: exactly ten more.
        for index in 0..<10 {
            XCTAssertEqual(
                GCRA.check(state: &state, limit: limit, now: Self.second),
                .allowed(remaining: 9 - index, resetAfter: Int64(11 + index) * 100 * Self.ms)
            )
        }
        XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: Self.second), .limited(retryAfter: 100 * Self.ms, resetAfter: 2 * Self.second))
    }

    /// A table of (time, expected decision) for 1 r/s with burst 3 (T = 1 s, τ = 2 s).
    func testTimestampTable() throws {
        let limit = try RateLimit.parse("1r/s:3")
        let s = Self.second
        let ms = Self.ms
        let table: [(Int64, GCRA.Decision, UInt)] = [
            (0, .allowed(remaining: 2, resetAfter: 1 * s), #line),
            (0, .allowed(remaining: 1, resetAfter: 2 * s), #line),
            (0, .allowed(remaining: 0, resetAfter: 3 * s), #line),
            (0, .limited(retryAfter: 1 * s, resetAfter: 3 * s), #line),
            (500 * ms, .limited(retryAfter: 500 * ms, resetAfter: 2_500 * ms), #line),
            (1 * s, .allowed(remaining: 0, resetAfter: 3 * s), #line),
            (1 * s, .limited(retryAfter: 1 * s, resetAfter: 3 * s), #line),
            (2_500 * ms, .allowed(remaining: 0, resetAfter: 2_500 * ms), #line),
            (4_500 * ms, .allowed(remaining: 1, resetAfter: 1_500 * ms), #line),
            (4_500 * ms, .allowed(remaining: 0, resetAfter: 2_500 * ms), #line),
            (4_500 * ms, .limited(retryAfter: 500 * ms, resetAfter: 2_500 * ms), #line),
            (7 * s, .allowed(remaining: 2, resetAfter: 1 * s), #line),  // idle since 7 s: state decayed
            (100 * s, .allowed(remaining: 2, resetAfter: 1 * s), #line),
        ]
        var state: GCRAState?
        for (now, expected, line) in table {
            XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: now), expected, "t=\(now)", line: line)
        }
    }

    func testSlowRateAndBurstOfOne() throws {
        let limit = try RateLimit.parse("10r/m")
        var state: GCRAState?
        XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: 0), .allowed(remaining: 0, resetAfter: 6 * Self.second))
        XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: 6 * Self.second - 1), .limited(retryAfter: 1, resetAfter: 1))
        XCTAssertEqual(GCRA.check(state: &state, limit: limit, now: 6 * Self.second), .allowed(remaining: 0, resetAfter: 6 * Self.second))
    }

    func testIdleStateIsEquivalentToNoState() throws {
        let limit = try RateLimit.parse("10r/s:20")
        var state: GCRAState? = GCRAState(tat: 5 * Self.second)
        var none: GCRAState?
        XCTAssertTrue(state?.isIdle(at: 5 * Self.second) ?? false)
        XCTAssertEqual(
            GCRA.check(state: &state, limit: limit, now: 5 * Self.second),
            GCRA.check(state: &none, limit: limit, now: 5 * Self.second)
        )
        XCTAssertEqual(state, none)
    }

    /// GCRA must agree, request by request, with an independently written token bucket measured in
    /// nanoseconds of credit (capacity burst·T, each request costs T, credit accrues 1 ns per ns).
    func testAgreesWithTokenBucketModel() throws {
        var random = SplitMix64(seed: 1)
        for text in ["10r/s:20", "1r/s:3", "7r/s", "100r/s:1", "10r/m:5", "3r/s:4"] {
            let limit = try RateLimit.parse(text)
            let interval = limit.emissionInterval
            let capacity = interval * Int64(limit.burst)
            var credit = capacity
            var last: Int64 = 0
            var state: GCRAState?
            var now: Int64 = 0
            for request in 0..<5_000 {
                // Mostly bursts (same instant), sometimes small or large gaps.
                switch random.next() % 10 {
                case 0..<5: break
                case 5..<9: now += Int64(random.next() % UInt64(interval * 2))
                default: now += Int64(random.next() % UInt64(capacity * 2))
                }
                credit = min(capacity, credit + (now - last))
                last = now
                let modelAllows = credit >= interval
                let decision = GCRA.check(state: &state, limit: limit, now: now)
                XCTAssertEqual(decision.isAllowed, modelAllows, "\(text) request \(request) at \(now)")
                switch decision {
                case .allowed(let remaining, _):
                    credit -= interval
                    XCTAssertEqual(Int64(remaining), credit / interval, "\(text) request \(request)")
                case .limited(let retryAfter, _):
                    XCTAssertEqual(retryAfter, interval - credit, "\(text) request \(request)")
                }
                if decision.isAllowed != modelAllows { return }
            }
        }
    }

    func testNamesAreStable() {
        XCTAssertEqual(GCRA.Decision.allowed(remaining: 1, resetAfter: 1).name, "allowed")
        XCTAssertEqual(GCRA.Decision.limited(retryAfter: 1, resetAfter: 1).name, "limited")
    }
}
