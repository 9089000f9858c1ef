/// Per-route knobs for the cache policy (RFC 9111 §3, §4.2; RFC 5861; RFC 9213).
///
/// All durations are whole seconds. The defaults follow the RFCs; see `CacheDefaults.swift` for
/// the order in which they are applied.
public struct CachePolicyOptions: Sendable, Equatable {
    /// Fraction of `Date − Last-Modified` used as heuristic lifetime (RFC 9111 §4.2.2).
    public var heuristicFraction: Double
    /// Upper bound of a heuristic lifetime, seconds.
    public var heuristicMaxTTL: Int64
    /// Store responses carrying `Set-Cookie` (the cookie is stored and served to everyone).
    /// Danger: only for routes whose cookies are not per-user.
    public var cacheSetCookie: Bool
    /// Replaces the origin's freshness lifetime (max-age, s-maxage, Expires, heuristics).
    /// Does not make an unstorable response storable, nor lift `no-cache`.
    public var forceTTL: Int64?
    /// The freshness lifetime of a storable response is at least this.
    public var minTTL: Int64?
    /// Lifetime of a 404 or 410 without explicit freshness (instead of the heuristic).
    public var negativeTTL: Int64?
    /// Never look up nor store (``NoCacheReason/bypass``).
    public var bypass: Bool
    /// Largest object stored, bytes (checked against `Content-Length`; the proxy checks the
    /// streamed body too).
    public var maxObjectSize: Int64
    /// Targeted cache-control fields honoured, highest precedence first (RFC 9213 §2.1):
    /// the first with a valid, non-empty value replaces `Cache-Control` and `Expires`.
    public var targetedFields: [String]
    /// `stale-while-revalidate` window applied when the response has none (Varnish's grace).
    /// `0` keeps RFC 9111 §4.2.4's default of never serving stale without permission.
    public var defaultStaleWhileRevalidate: Int64
    /// `stale-if-error` window applied when the response has none.
    public var defaultStaleIfError: Int64
    /// Honour request `no-cache`, `max-age`, `min-fresh` and `max-stale`. RFC 9111 §5.2.1 makes
    /// request directives advisory; `false` stops clients from forcing origin fetches.
    /// `only-if-cached` and `no-store` are honoured either way.
    public var honorRequestCacheControl: Bool

    public init(
        heuristicFraction: Double = 0.1,
        heuristicMaxTTL: Int64 = 86_400,
        cacheSetCookie: Bool = false,
        forceTTL: Int64? = nil,
        minTTL: Int64? = nil,
        negativeTTL: Int64? = nil,
        bypass: Bool = false,
        maxObjectSize: Int64 = 64 << 20,
        targetedFields: [String] = ["cdn-cache-control"],
        defaultStaleWhileRevalidate: Int64 = 0,
        defaultStaleIfError: Int64 = 0,
        honorRequestCacheControl: Bool = true
    ) {
        self.heuristicFraction = heuristicFraction
        self.heuristicMaxTTL = heuristicMaxTTL
        self.cacheSetCookie = cacheSetCookie
        self.forceTTL = forceTTL
        self.minTTL = minTTL
        self.negativeTTL = negativeTTL
        self.bypass = bypass
        self.maxObjectSize = maxObjectSize
        self.targetedFields = targetedFields
        self.defaultStaleWhileRevalidate = defaultStaleWhileRevalidate
        self.defaultStaleIfError = defaultStaleIfError
        self.honorRequestCacheControl = honorRequestCacheControl
    }
}
