/// What a rate-limit policy counts requests against (policy key `key`).
public enum RateLimitKeyConfig: Sendable, Equatable {
    /// The client's identity (its address after trusted proxies; IPv6 grouped by ``RateLimitPolicyConfig/ipv6Prefix``).
    /// YAML `client`, the default.
    case client
    /// The route: all clients of a route share one budget. YAML `route`.
    case route
    /// The value of a request header (lower-cased name), e.g. an API key; requests without it are not limited by the
    /// policy.
    /// YAML `header:<Name>`.
    case header(String)
}

/// A named rate-limit policy (top-level `rate_limits: {name: {rate: "100r/s:200", key: client}}`), applied to the
/// routes that list its name under `rate_limits`.
public struct RateLimitPolicyConfig: Sendable, Equatable {
    /// The policy's name (the key under `rate_limits`): letters, digits, `-`, `_`, `.`.
    public var name: String
    /// Sustained requests per second (from key `rate`, e.g. `10r/m` → 1/6).
    public var rate: Double
    /// Requests admitted at once from an idle key (`:burst` in `rate`; by default the rate per second rounded up,
    /// at least 1).
    public var burst: Int
    /// The window in seconds of the rate's unit (1 for `r/s`, 60 for `r/m`, 3600 for `r/h`), used to advertise
    /// the policy (`RateLimit-Policy: …;w=`).
    public var windowSeconds: Int
    /// What requests are counted against (key `key`: `client`, the default, `route` or `header:<Name>`).
    public var key: RateLimitKeyConfig
    /// IPv6 clients are grouped by this prefix length (key `ipv6_prefix`, 1...128, default 64; only for `key: client`).
    public var ipv6Prefix: Int

    /// The default `ipv6_prefix`, 64.
    public static let defaultIPv6Prefix = 64

    /// Creates a policy; values are taken as given (no validation).
    public init(
        name: String,
        rate: Double,
        burst: Int,
        windowSeconds: Int = 1,
        key: RateLimitKeyConfig = .client,
        ipv6Prefix: Int = RateLimitPolicyConfig.defaultIPv6Prefix
    ) {
        self.name = name
        self.rate = rate
        self.burst = burst
        self.windowSeconds = windowSeconds
        self.key = key
        self.ipv6Prefix = ipv6Prefix
    }
}
