/// The generic cell rate algorithm (ITU-T I.371 "virtual scheduling"), as a pure function of
/// (state, limit, now).
///
/// With emission interval T = ``RateLimit/emissionInterval`` (1/rate, in ns) and tolerance
/// τ = T × (burst − 1), a request at `now` against theoretical arrival time TAT (no state: TAT = now):
///
/// ```
/// TAT₀ = max(TAT, now)
/// if TAT₀ − now > τ:   limited;  retryAfter = TAT₀ − now − τ;   state unchanged
/// else:                allowed;  TAT = TAT₀ + T
///                      remaining  = ⌊(τ + T − (TAT − now)) / T⌋ = ⌊(burst·T − (TAT − now)) / T⌋
///                      resetAfter = TAT − now
/// ```
///
/// So an idle client may send exactly `burst` requests at once, then one every T; a limited request
/// costs nothing (it does not push TAT further). `resetAfter` is the time until the state has no debt,
/// i.e. until a full burst is available again. For 10 r/s with burst 20: 20 requests at t = 0 are
/// allowed (remaining 19 … 0), the 21st at t = 0 is limited with retryAfter = 100 ms, and from then on
/// one request is admitted every 100 ms.
///
/// Times are `Int64` nanoseconds of a monotonic clock supplied by the caller; nothing here reads a clock.
public enum GCRA {
    /// The outcome of one request against a limit.
    public enum Decision: Sendable, Hashable {
        /// Admit. `remaining` more requests would be admitted right now; after `resetAfter` ns the full
        /// burst is available again.
        case allowed(remaining: Int, resetAfter: Int64)
        /// Refuse. The next request is admitted after `retryAfter` ns (> 0); the full burst after `resetAfter` ns.
        case limited(retryAfter: Int64, resetAfter: Int64)

        /// `true` for ``allowed(remaining:resetAfter:)``.
        public var isAllowed: Bool {
            if case .allowed = self { return true }
            return false
        }

        /// A stable name for logs and metrics: `allowed` or `limited`.
        public var name: String {
            self.isAllowed ? "allowed" : "limited"
        }
    }

    /// Decides one request at `now`, updating `state` when it is admitted.
    ///
    /// A `nil` state (never seen, or forgotten after it became idle) behaves like `tat = now`.
    public static func check(state: inout GCRAState?, limit: RateLimit, now: Int64) -> Decision {
        let interval = limit.emissionInterval
        let tolerance = self.saturatingMultiply(interval, Int64(limit.burst - 1))
        let start = max(state?.tat ?? now, now)
        let debt = start - now
        if debt > tolerance {
            return .limited(retryAfter: debt - tolerance, resetAfter: debt)
        }
        let tat = self.saturatingAdd(start, interval)
        state = GCRAState(tat: tat)
        let resetAfter = tat - now
        let capacity = self.saturatingAdd(tolerance, interval)
        let remaining = max(0, (capacity - resetAfter) / interval)
        return .allowed(remaining: Int(remaining), resetAfter: resetAfter)
    }

    static func saturatingMultiply(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (product, overflow) = lhs.multipliedReportingOverflow(by: rhs)
        return overflow ? Int64.max / 4 : min(product, Int64.max / 4)
    }

    static func saturatingAdd(_ lhs: Int64, _ rhs: Int64) -> Int64 {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        return overflow ? Int64.max : sum
    }
}
