import NIOCore

/// Thresholds for one pool's health checking: active probes (rise/fall) and passive ejection.
///
/// Defaults follow HAProxy for probes (`rise 2`, `fall 3`) and nginx's `max_fails`/`fail_timeout`
/// spirit for passive ejection (3 consecutive failed requests eject a member for 10 seconds).
/// Values of `rise` and `fall` below 1 are treated as 1; a `passiveMaxFailures` of 0 (or less)
/// turns passive ejection off.
public struct HealthConfiguration: Sendable, Equatable {
    /// Consecutive successful probes that bring an unhealthy member back.
    public var rise: Int
    /// Consecutive failed probes that mark a healthy member unhealthy.
    public var fall: Int
    /// Consecutive failed requests that eject a member; 0 disables passive ejection.
    public var passiveMaxFailures: Int
    /// How long an ejected member stays out before it is tried again.
    public var passiveCooldown: TimeAmount

    /// Creates a configuration; every parameter has a conservative default.
    public init(
        rise: Int = 2,
        fall: Int = 3,
        passiveMaxFailures: Int = 3,
        passiveCooldown: TimeAmount = .seconds(10)
    ) {
        self.rise = rise
        self.fall = fall
        self.passiveMaxFailures = passiveMaxFailures
        self.passiveCooldown = passiveCooldown
    }
}
