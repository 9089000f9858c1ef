/// Sends requests matching a host and path prefix to an origin. YAML: `{host: example.com, path: /api, origin: app}`.
public struct RouteConfig: Sendable, Equatable {
    /// Exact host (`example.com`) or wildcard (`*.example.com`), lower-cased, without port; `nil` matches any host.
    public var host: String?
    /// Path prefix (key `path`, default `/`); starts with `/`.
    public var pathPrefix: String
    /// Name of the origin pool.
    public var origin: String

    /// Creates a route.
    public init(host: String? = nil, pathPrefix: String = "/", origin: String) {
        self.host = host
        self.pathPrefix = pathPrefix
        self.origin = origin
    }
}
