import TernCore

/// The whole, validated configuration of a Tern process.
///
/// Built by ``ConfigLoader`` from YAML, by ``TernConfiguration/quick(listen:origins:routes:)`` from
/// command-line flags, or in code. Every value here has already been checked; consumers need not re-validate.
public struct TernConfiguration: Sendable, Equatable {
    /// Addresses to accept connections on; at least one, no two with the same host and port.
    public var listeners: [ListenerConfig]
    /// Origin pools in file order; names are unique.
    public var origins: [OriginPoolConfig]
    /// Routes in file order; each names an existing origin.
    public var routes: [RouteConfig]
    /// Request size and time limits.
    public var limits: LimitsConfig
    /// Forwarding-header behaviour.
    public var proxy: ProxyConfig
    /// Access and diagnostic logging.
    public var logging: LoggingConfig
    /// Number of event-loop threads; `nil` means one per core (`workers: auto`).
    public var workers: Int?
    /// How long a graceful shutdown waits for in-flight requests (key `shutdown_timeout`, default 30s).
    public var shutdownTimeout: Duration
    /// The response cache (key `cache`; absent means on, 256MiB in memory, no disk).
    public var cache: CacheConfig
    /// The admin listener (key `admin`); `nil` (absent) means none.
    public var admin: AdminConfig?
    /// The web application firewall (key `waf`; absent means ``WAFConfig/default``, mode off).
    public var waf: WAFConfig
    /// Clients admitted on every listener and route (key `access`); `nil` (absent) means no global list.
    public var access: AccessListConfig?
    /// Named rate-limit policies in file order (key `rate_limits`); names are unique. Routes apply them by name.
    public var rateLimits: [RateLimitPolicyConfig]

    /// Creates a configuration; values are taken as given (no validation).
    public init(
        listeners: [ListenerConfig],
        origins: [OriginPoolConfig],
        routes: [RouteConfig],
        limits: LimitsConfig = .default,
        proxy: ProxyConfig = .default,
        logging: LoggingConfig = .default,
        workers: Int? = nil,
        shutdownTimeout: Duration = .seconds(30),
        cache: CacheConfig = .default,
        admin: AdminConfig? = nil,
        waf: WAFConfig = .default,
        access: AccessListConfig? = nil,
        rateLimits: [RateLimitPolicyConfig] = []
    ) {
        self.listeners = listeners
        self.origins = origins
        self.routes = routes
        self.limits = limits
        self.proxy = proxy
        self.logging = logging
        self.workers = workers
        self.shutdownTimeout = shutdownTimeout
        self.cache = cache
        self.admin = admin
        self.waf = waf
        self.access = access
        self.rateLimits = rateLimits
    }

    /// The origin pool called `name`, if any.
    public func origin(named name: String) -> OriginPoolConfig? {
        self.origins.first { $0.name == name }
    }

    /// The rate-limit policy called `name`, if any.
    public func rateLimit(named name: String) -> RateLimitPolicyConfig? {
        self.rateLimits.first { $0.name == name }
    }
}
