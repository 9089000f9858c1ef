/// A balanced pool of upstream HTTP servers (`type: http`).
public struct HTTPPoolConfig: Sendable, Equatable {
    /// The servers; at least one.
    public var members: [MemberConfig]
    /// How a member is chosen for a request (key `balance`, default `round_robin`).
    public var balance: BalancePolicy
    /// Active probing (key `health_check`); `nil` means no active probes.
    public var healthCheck: HealthCheckConfig?
    /// Ejection after consecutive failures of real requests (key `passive_health`).
    public var passive: PassiveHealthConfig
    /// Upstream timeouts (key `timeouts`).
    public var timeouts: UpstreamTimeouts
    /// Connection reuse limits, per member per worker (key `connections`).
    public var connections: ConnectionPoolConfig
    /// What `Host` header is sent upstream (key `host_header`, default `preserve`).
    public var hostHeader: HostHeaderPolicy
    /// Whether idempotent requests that failed before any response byte are retried on another member (key `retry`).
    public var retryIdempotent: Bool
    /// Limits on response heads from the members (key `response_limits`).
    public var responseLimits: OriginResponseLimits

    /// Creates a pool; only `members` is required.
    public init(
        members: [MemberConfig],
        balance: BalancePolicy = .roundRobin,
        healthCheck: HealthCheckConfig? = nil,
        passive: PassiveHealthConfig = .default,
        timeouts: UpstreamTimeouts = .default,
        connections: ConnectionPoolConfig = .default,
        hostHeader: HostHeaderPolicy = .preserve,
        retryIdempotent: Bool = true,
        responseLimits: OriginResponseLimits = .default
    ) {
        self.members = members
        self.balance = balance
        self.healthCheck = healthCheck
        self.passive = passive
        self.timeouts = timeouts
        self.connections = connections
        self.hostHeader = hostHeader
        self.retryIdempotent = retryIdempotent
        self.responseLimits = responseLimits
    }
}
