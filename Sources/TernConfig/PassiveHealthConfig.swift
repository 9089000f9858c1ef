/// Ejection of members after failed real requests (key `passive_health`).
public struct PassiveHealthConfig: Sendable, Equatable {
    /// Consecutive failures (connect errors, timeouts, resets) before a member is ejected; 0 disables.
    public var maxFailures: Int
    /// How long an ejected member is left out before it is tried again.
    public var cooldown: Duration

    /// Creates a passive health policy.
    public init(maxFailures: Int = 3, cooldown: Duration = .seconds(10)) {
        self.maxFailures = maxFailures
        self.cooldown = cooldown
    }

    /// `max_failures: 3`, `cooldown: 10s`.
    public static let `default` = PassiveHealthConfig()
}
