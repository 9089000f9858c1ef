/// Upstream connection reuse, per member per worker (key `connections`).
public struct ConnectionPoolConfig: Sendable, Equatable {
    /// Idle keep-alive connections kept for reuse (key `max_idle`, default 32); at most `maxTotal`.
    public var maxIdle: Int
    /// Open connections at most, idle or busy (key `max_total`, default 1024).
    public var maxTotal: Int
    /// An idle connection is closed after this long (key `idle_timeout`, default 60s).
    public var idleTimeout: Duration

    /// Creates connection limits.
    public init(maxIdle: Int = 32, maxTotal: Int = 1024, idleTimeout: Duration = .seconds(60)) {
        self.maxIdle = maxIdle
        self.maxTotal = maxTotal
        self.idleTimeout = idleTimeout
    }

    /// max_idle 32, max_total 1024, idle_timeout 60s.
    public static let `default` = ConnectionPoolConfig()
}
