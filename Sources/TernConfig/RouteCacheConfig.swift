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

/// The parts of a request that make up its cache key besides method, host and path (route key `cache.key`).
public struct CacheKeyConfig: Sendable, Equatable {
    /// How the query string enters the key (key `query`).
    public enum Query: Sendable, Equatable {
        /// The query string as received (YAML `keep`, the default).
        case keep
        /// Parameters sorted by name, so `?b=1&a=2` and `?a=2&b=1` share an entry (YAML `sort`).
        case sort
        /// No query at all (YAML `drop`).
        case drop
        /// Only these parameter names (YAML `{allow: [a, b]}`); names are case-sensitive.
        case allow([String])
        /// Every parameter except these names (YAML `{deny: [utm_source]}`); names are case-sensitive.
        case deny([String])
    }

    /// How the query string enters the key (default `keep`).
    public var query: Query
    /// Request header names whose values are added to the key (key `headers`), lower-cased, without duplicates.
    public var headers: [String]
    /// Cookie names whose values are added to the key (key `cookies`), case-sensitive, without duplicates.
    public var cookies: [String]

    /// Creates a key description; values are taken as given (no validation).
    public init(query: Query = .keep, headers: [String] = [], cookies: [String] = []) {
        self.query = query
        self.headers = headers
        self.cookies = cookies
    }

    /// The query as received, no headers, no cookies.
    public static let `default` = CacheKeyConfig()
}
