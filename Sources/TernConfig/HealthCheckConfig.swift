/// Active health probes of an HTTP pool (key `health_check`).
public struct HealthCheckConfig: Sendable, Equatable {
    /// The request path probed with `GET`; starts with `/` (default `/`).
    public var path: String
    /// Time between probes of one member (default 5s).
    public var interval: Duration
    /// How long a probe may take; less than `interval` (default 2s).
    public var timeout: Duration
    /// Status codes that count as healthy (key `expect_status`: `200` or `"200-399"`; default 200...399).
    public var expectStatus: ClosedRange<Int>
    /// Consecutive successes that bring a member back (default 2).
    public var rise: Int
    /// Consecutive failures that take a member out (default 3).
    public var fall: Int

    /// Creates a health check; every value has a default.
    public init(
        path: String = "/",
        interval: Duration = .seconds(5),
        timeout: Duration = .seconds(2),
        expectStatus: ClosedRange<Int> = 200...399,
        rise: Int = 2,
        fall: Int = 3
    ) {
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.expectStatus = expectStatus
        self.rise = rise
        self.fall = fall
    }

    /// All defaults: `GET /` every 5s, 2s timeout, 200-399 healthy, rise 2, fall 3.
    public static let `default` = HealthCheckConfig()
}
