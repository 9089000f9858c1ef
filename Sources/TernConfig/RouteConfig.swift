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

    /// Creates a route.
    public init(
        host: String? = nil,
        pathPrefix: String = "/",
        origin: String,
        cache: RouteCacheConfig = .default,
        waf: RouteWAFConfig = .default,
        access: AccessListConfig? = nil,
        rateLimits: [String] = []
    ) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.origin = origin
        self.cache = cache
        self.waf = waf
        self.access = access
        self.rateLimits = rateLimits
    }
}
