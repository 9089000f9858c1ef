import Foundation
import NIOHTTP1
import TernConfig
import TernCore
import TernPolicy

/// Decides the answer to each admin request; ``AdminRequestHandler`` only executes its actions.
///
/// Order of checks: client address (403), body size (413), route (404/405), authorization for mutating
/// endpoints (403 without a configured token, 401 without or with a wrong token), then the endpoint.
/// Nothing reaches the backend's `purge` unless every check passed.
public struct AdminResponder: Sendable {
    /// What the handler must do next.
    public enum Action: Sendable {
        /// Send this response.
        case respond(AdminResponse)
        /// Run this purge on the backend, then send ``AdminResponder/purgeResponse(_:)``.
        case purge(PurgeRequest)
    }

    /// The largest accepted request body: 64 KiB.
    public static let maxBodyBytes = 64 * 1024

    let backend: any AdminBackend
    let token: String?
    let allow: [IPAddressRange]
    /// Host names (canonical, without port) requests may name (``AdminConfig/allowedHosts``).
    let hosts: [String]

    /// Creates a responder for `backend`, with the resolved `token` (nil: none configured), the client ACL and
    /// the host names requests may carry in `Host`.
    public init(backend: any AdminBackend, token: String?, allow: [IPAddressRange], hosts: [String] = AdminConfig.default.allowedHosts) {
        self.backend = backend
        self.token = token
        self.allow = allow
        self.hosts = hosts
    }

    /// 403 when `remote` (the client's address) is not in the allow list; nil when it may proceed.
    public func admit(remote: IPAddress?) -> AdminResponse? {
        guard let remote else {
            return .error(.forbidden, "forbidden: the client address is unknown")
        }
        if self.allow.contains(where: { $0.contains(remote) }) { return nil }
        return .error(.forbidden, "forbidden: \(remote) is not in admin.allow")
    }

    /// 413 for a body over ``maxBodyBytes``.
    public static func bodyTooLarge() -> AdminResponse {
        .error(.payloadTooLarge, "request body larger than \(maxBodyBytes) bytes")
    }

    /// 400 for more than one `Host` or `Authorization`; 421 when `Host` is absent or names a host that is
    /// not in ``hosts`` (DNS rebinding: a page on another site reaching this listener through its own name).
    public func checkHeaders(_ headers: HTTPHeaders) -> AdminResponse? {
        var hostValues: [String] = []
        var authorizations = 0
        for (name, value) in headers {
            if name.utf8.count == 4, name.caseInsensitiveEquals("host") { hostValues.append(value) }
            if name.utf8.count == 13, name.caseInsensitiveEquals("authorization") { authorizations += 1 }
        }
        if authorizations > 1 { return .error(.badRequest, "bad request: more than one Authorization field") }
        if hostValues.count > 1 { return .error(.badRequest, "bad request: more than one Host field") }
        guard let raw = hostValues.first, let authority = try? CanonicalRequest.canonicalAuthority(raw, defaultPort: 0) else {
            return .error(.misdirectedRequest, "misdirected request: a Host naming this listener is required (admin.hosts)")
        }
        // Without the port: `name`, `name:port`, `[v6]` or `[v6]:port`.
        var name = Substring(authority)
        if let close = name.lastIndex(of: "]") {
            name = name[...close]
        } else if let colon = name.lastIndex(of: ":") {
            name = name[..<colon]
        }
        guard self.hosts.contains(where: { $0 == name }) else {
            return .error(.misdirectedRequest, "misdirected request: Host '\(name)' is not in admin.hosts")
        }
        return nil
    }

    /// The action for a complete request.
    public func action(head: HTTPRequestHead, body: [UInt8]) -> Action {
        if let refusal = self.checkHeaders(head.headers) { return .respond(refusal) }
        let route: AdminRoute
        switch AdminRoute.decide(method: head.method, uri: head.uri) {
        case .notFound:
            return .respond(.error(.notFound, "no such endpoint; try GET /, /healthz, /readyz, /stats, /metrics or POST /purge"))
        case .methodNotAllowed(let allow):
            return .respond(.error(.methodNotAllowed, "method \(head.method.rawValue) not allowed; use \(allow)", headers: [("Allow", allow)]))
        case .endpoint(let endpoint):
            route = endpoint
        }
        if route.isMutating {
            switch AdminAuthorization.decide(authorization: head.headers.first(name: "authorization"), token: self.token) {
            case .allowed:
                break
            case .notConfigured:
                return .respond(.error(
                    .forbidden,
                    "no admin token is configured, so \(route.rawValue) is disabled; set TERN_ADMIN_TOKEN, or admin.token_file / admin.token_env in the configuration"
                ))
            case .missingCredentials:
                return .respond(.error(
                    .unauthorized, "missing credentials: send Authorization: Bearer <token>",
                    headers: [("WWW-Authenticate", "Bearer realm=\"tern-admin\"")]
                ))
            case .wrongToken:
                return .respond(.error(
                    .unauthorized, "invalid token",
                    headers: [("WWW-Authenticate", "Bearer realm=\"tern-admin\", error=\"invalid_token\"")]
                ))
            }
        }
        switch route {
        case .dashboard:
            return .respond(AdminResponse(
                status: .ok,
                headers: [
                    ("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"),
                    ("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:"),
                ],
                body: Array(DashboardPage.html.utf8)
            ))
        case .healthz:
            return .respond(.text(.ok, "ok\n"))
        case .readyz:
            let readiness = self.backend.readiness()
            return .respond(.json(readiness.ready ? .ok : .serviceUnavailable, readiness))
        case .stats:
            var response = AdminResponse.json(.ok, self.backend.statsSnapshot().withDerivedRatios())
            response.headers.append(("Cache-Control", "no-store"))
            return .respond(response)
        case .metrics:
            return .respond(AdminResponse(
                status: .ok, headers: [("Content-Type", PrometheusExposition.contentType)],
                body: PrometheusExposition.render(self.backend.statsSnapshot())
            ))
        case .purge:
            let request: PurgeRequest
            do {
                request = try JSONDecoder().decode(PurgeRequest.self, from: Data(body))
            } catch {
                return .respond(.error(.badRequest, "the body must be a JSON purge request such as {\"urls\": [\"http://example.com/a\"]}: \(error)"))
            }
            if request.isEmpty {
                return .respond(.error(.badRequest, "nothing selected: give urls, prefixes, hosts, tags or all: true"))
            }
            if let bad = (request.urls + request.prefixes).first(where: { !AdminResponder.isPurgeTarget($0) }) {
                return .respond(.error(.badRequest, "'\(bad)' is neither an absolute http(s) URL nor a path starting with /"))
            }
            return .purge(request)
        }
    }

    /// The response for a finished purge.
    public static func purgeResponse(_ result: PurgeResult) -> AdminResponse {
        .json(.ok, result)
    }

    /// `http://…`, `https://…` or `/…`, without spaces or control characters.
    static func isPurgeTarget(_ text: String) -> Bool {
        guard !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else { return false }
        let lowered = text.lowercased()
        return text.hasPrefix("/") || lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
    }
}
