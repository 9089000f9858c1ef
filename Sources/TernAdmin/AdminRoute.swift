import NIOHTTP1

/// The admin endpoints, and the routing decision for a request line (a pure function of method and path).
public enum AdminRoute: String, Sendable, CaseIterable {
    /// `GET /`: the dashboard page.
    case dashboard = "/"
    /// `GET /healthz`: 200 `ok` while the process runs.
    case healthz = "/healthz"
    /// `GET /readyz`: 200 or 503 with the readiness checks.
    case readyz = "/readyz"
    /// `GET /stats`: the JSON snapshot.
    case stats = "/stats"
    /// `GET /metrics`: Prometheus text exposition.
    case metrics = "/metrics"
    /// `POST /purge`: purge (needs the bearer token).
    case purge = "/purge"

    /// The outcome of routing one request.
    public enum Decision: Equatable, Sendable {
        /// A known endpoint with an allowed method.
        case endpoint(AdminRoute)
        /// No such path (404).
        case notFound
        /// A known path with another method (405, `Allow: …`).
        case methodNotAllowed(allow: String)
    }

    /// The method the endpoint accepts (`GET` endpoints also accept `HEAD`).
    public var method: HTTPMethod { self == .purge ? .POST : .GET }

    /// Whether the endpoint changes state and so needs the bearer token.
    public var isMutating: Bool { self == .purge }

    /// Routes `method` and `uri` (the query string is ignored).
    public static func decide(method: HTTPMethod, uri: String) -> Decision {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard let route = AdminRoute(rawValue: path) else { return .notFound }
        if method == route.method || (route.method == .GET && method == .HEAD) {
            return .endpoint(route)
        }
        return .methodNotAllowed(allow: route.method == .GET ? "GET, HEAD" : route.method.rawValue)
    }
}
