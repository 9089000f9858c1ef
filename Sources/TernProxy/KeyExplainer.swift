import NIOHTTP1
import TernConfig
import TernPolicy

/// Explains which route and cache key a request would get (`tern check-config --explain-key`).
public enum KeyExplainer {
    public enum Failure: Error, CustomStringConvertible {
        case badURL(String)
        case badHeader(String)

        public var description: String {
            switch self {
            case .badURL(let url): return "error: '\(url)' is not an absolute http:// or https:// URL (example: http://example.com/path?q=1)"
            case .badHeader(let header): return "error: header '\(header)' must look like 'Name: value'"
            }
        }
    }

    /// Lines describing the route, whether the request can be cached, and how each part of the
    /// primary key was derived, ending with the key itself.
    public static func explain(configuration: TernConfiguration, url: String, headerLines: [String], method: String = "GET") throws(Failure) -> [String] {
        guard let parsed = RequestTarget(uri: url), parsed.host != nil else { throw .badURL(url) }
        // The request as the proxy sees it: canonicalised first (Docs/security.md, "Canonical requests").
        let canonical: CanonicalRequest
        do {
            canonical = try CanonicalRequest.make(target: parsed, hostField: nil)
        } catch {
            return ["request: refused with 400 (\(error.reason))"]
        }
        let target = RequestTarget(path: canonical.path, query: canonical.query, host: nil)
        let host = canonical.authority ?? ""
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        for line in headerLines {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .badHeader(line) }
            let name = line[..<colon].trimmingCharacters(in: " ")
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " ")
            guard !name.isEmpty else { throw .badHeader(line) }
            headers.replaceOrAdd(name: name, value: value)
        }
        let scheme = url.lowercased().hasPrefix("https:") ? "https" : "http"
        let entries = configuration.routes.enumerated().map { index, route in
            RouteTable.Entry(host: route.host, pathPrefix: route.pathPrefix, target: index)
        }
        guard let routeIndex = RouteTable(entries).match(host: host, path: target.path) else {
            return ["route: none matches (the request would get 404)"]
        }
        let route = configuration.routes[routeIndex]
        var lines: [String] = []
        if canonical.originForm != parsed.path + (parsed.query.map { "?\($0)" } ?? "") {
            lines.append("canonical target: \(canonical.originForm)")
        }
        lines += ["route: #\(routeIndex + 1) host=\(route.host ?? "*") path=\(route.pathPrefix) → origin '\(route.origin)'"]
        guard configuration.cache.enabled else {
            lines.append("cache: disabled (cache.enabled: false)")
            return lines
        }
        if case .file? = configuration.origin(named: route.origin)?.kind {
            lines.append("cache: not used for file origins (served directly)")
            return lines
        }
        let runtime = RouteCacheRuntime(global: configuration.cache, route: route.cache)
        let httpMethod = HTTPMethod(rawValue: method)
        if let reason = CachePolicy.requestBypassReason(method: httpMethod, requestHeaders: headers, options: runtime.policy) {
            lines.append("cache: bypassed (\(reason.rawValue))")
        }
        lines += CacheKey.explain(
            scheme: scheme, host: host, path: target.path, query: target.query, requestHeaders: headers, options: runtime.key,
            partition: route.origin
        )
        return lines
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
