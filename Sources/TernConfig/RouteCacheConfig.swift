import TernPolicy

/// Per-route caching (route key `cache`).
public struct RouteCacheConfig: Sendable, Equatable {
    /// Never cache responses of this route (key `bypass`, default `false`). A bypassed route takes no other keys.
    public var bypass: Bool
    /// What the cache key is made of (key `key`).
    public var key: CacheKeyConfig
    /// Treat every cacheable response as fresh for exactly this long, ignoring the origin's freshness
    /// (key `force_ttl`); `nil` follows the origin.
    public var forceTTL: Duration?
    /// Lower bound on the freshness lifetime of cacheable responses (key `min_ttl`); at most ``forceTTL``.
    public var minTTL: Duration?
    /// How long 404 and 410 responses without explicit freshness are cached (key `negative_ttl`);
    /// `nil` caches them only as RFC 9111 allows.
    public var negativeTTL: Duration?
    /// Whether responses carrying `Set-Cookie` may be stored (key `cache_set_cookie`, default `false`).
    public var cacheSetCookie: Bool

    /// Creates route cache settings; values are taken as given (no validation).
    public init(
        bypass: Bool = false,
        key: CacheKeyConfig = .default,
        forceTTL: Duration? = nil,
        minTTL: Duration? = nil,
        negativeTTL: Duration? = nil,
        cacheSetCookie: Bool = false
    ) {
        self.bypass = bypass
        self.key = key
        self.forceTTL = forceTTL
        self.minTTL = minTTL
        self.negativeTTL = negativeTTL
        self.cacheSetCookie = cacheSetCookie
    }

    /// Cache as the origin says, default key.
    public static let `default` = RouteCacheConfig()
}

/// The parts of a request that make up its cache key besides method, host and path (route key
/// `cache.key`): the policy's own type, so the decoded value is what the data plane uses.
public typealias CacheKeyConfig = CacheKeyOptions
