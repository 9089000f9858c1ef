/// Sends requests matching a host and path prefix to an origin. YAML: `{host: example.com, path: /api, origin: app}`,
/// optionally with `cache: {…}`.
public struct RouteConfig: Sendable, Equatable {
    /// Exact host (`example.com`) or wildcard (`*.example.com`), lower-cased, without port; `nil` matches any host.
    public var host: String?
    /// Path prefix (key `path`, default `/`); starts with `/`.
    public var pathPrefix: String
    /// Name of the origin pool.
    public var origin: String
    /// How responses of this route are cached (key `cache`, default ``RouteCacheConfig/default``).
    public var cache: RouteCacheConfig

    /// Creates a route.
    public init(host: String? = nil, pathPrefix: String = "/", origin: String, cache: RouteCacheConfig = .default) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.origin = origin
        self.cache = cache
    }
}
