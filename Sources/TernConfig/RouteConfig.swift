/// Sends requests matching a host and path prefix to an origin. YAML: `{host: example.com, path: /api, origin: app}`,
/// optionally with `cache: {…}`, `waf: {…}`, `access: {…}` and `rate_limits: [name, …]`.
public struct RouteConfig: Sendable, Equatable {
    /// Exact host (`example.com`) or wildcard (`*.example.com`), lower-cased, without port; `nil` matches any host.
    public var host: String?
    /// Path prefix (key `path`, default `/`); starts with `/`.
    public var pathPrefix: String
    /// Name of the origin pool.
    public var origin: String
    /// How responses of this route are cached (key `cache`, default ``RouteCacheConfig/default``).
    public var cache: RouteCacheConfig
    /// WAF mode override and rule exclusions for this route (key `waf`, default ``RouteWAFConfig/default``).
    public var waf: RouteWAFConfig
    /// Clients admitted on this route (key `access`); `nil` (absent) means no route-level list.
    public var access: AccessListConfig?
    /// Names of the ``TernConfiguration/rateLimits`` policies applied to this route, in file order, each once
    /// (key `rate_limits`, default `[]`). Every name exists in the configuration read from YAML.
    public var rateLimits: [String]
    /// Client request fields removed before anything else sees the request (key `strip_request_fields`,
    /// lower-cased; default ``defaultStrippedRequestFields``; `[]` strips none). These are fields some
    /// origin frameworks act on but the cache key does not hold: left in, one client's response would
    /// be served to all (Docs/security.md, "Cache poisoning").
    public var stripRequestFields: [String]

    /// `x-forwarded-scheme`, `x-forwarded-port`, `x-original-url`, `x-rewrite-url`,
    /// `x-http-method-override`, `x-host`.
    public static let defaultStrippedRequestFields = [
        "x-forwarded-scheme", "x-forwarded-port", "x-original-url", "x-rewrite-url", "x-http-method-override", "x-host",
    ]

    /// Creates a route.
    public init(
        host: String? = nil,
        pathPrefix: String = "/",
        origin: String,
        cache: RouteCacheConfig = .default,
        waf: RouteWAFConfig = .default,
        access: AccessListConfig? = nil,
        rateLimits: [String] = [],
        stripRequestFields: [String] = RouteConfig.defaultStrippedRequestFields
    ) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.origin = origin
        self.cache = cache
        self.waf = waf
        self.access = access
        self.rateLimits = rateLimits
        self.stripRequestFields = stripRequestFields
    }
}
