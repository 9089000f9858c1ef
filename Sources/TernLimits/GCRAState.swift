/// The whole per-key state of a GCRA limiter: the theoretical arrival time.
///
/// `tat` is in nanoseconds on the same monotonic clock as the `now` passed to ``GCRA/check(state:limit:now:)``.
/// A state whose `tat` is at or before `now` carries no debt and is equivalent to no state at all,
/// so it may be dropped.
public struct GCRAState: Sendable, Hashable {
    /// The theoretical arrival time of the next conforming request, in monotonic nanoseconds.
    public var tat: Int64

    /// Creates a state with the given theoretical arrival time.
    public init(tat: Int64) {
        self.tat = tat
    }

    /// Whether this state carries no debt at `now` (and can be forgotten without changing any decision).
    public func isIdle(at now: Int64) -> Bool {
        self.tat <= now
    }
}
