/// How a ``PurgeRequest`` selects stored objects: one pure function the proxy applies to each candidate, so the
/// documented semantics (Docs/operations.md, "Purge") live in one place.
///
/// An object is described by its host (lower-cased, without port), its path with query (`/a/b?x=1`) and its tags.
extension PurgeRequest {
    /// Whether the object with `host`, `pathAndQuery` and `tags` is selected (any selector, or ``all``).
    public func matches(host: String, pathAndQuery: String, tags: some Collection<String>) -> Bool {
        if self.all { return true }
        let host = host.lowercased()
        if self.hosts.contains(where: { PurgeRequest.normalizedHost($0) == host }) { return true }
        if !self.tags.isEmpty, tags.contains(where: { self.tags.contains($0) }) { return true }
        for url in self.urls {
            let target = PurgeRequest.split(url)
            if target.pathAndQuery == pathAndQuery, target.host.map({ $0 == host }) ?? true { return true }
        }
        for prefix in self.prefixes {
            let target = PurgeRequest.split(prefix)
            if target.host.map({ $0 == host }) ?? true,
                PurgeRequest.pathPrefix(target.pathAndQuery, matches: pathAndQuery)
            {
                return true
            }
        }
        return false
    }

    /// Anchored, segment-aware prefix match: `/a` matches `/a`, `/a/…` and `/a?…` but not `/ab`;
    /// `/a/` matches everything below `/a/`; `/` matches every path.
    public static func pathPrefix(_ prefix: String, matches pathAndQuery: String) -> Bool {
        guard pathAndQuery.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || prefix.count == pathAndQuery.count { return true }
        let next = pathAndQuery.utf8[pathAndQuery.utf8.index(pathAndQuery.utf8.startIndex, offsetBy: prefix.utf8.count)]
        return next == UInt8(ascii: "/") || next == UInt8(ascii: "?")
    }

    /// `http://Host:80/p?q` → (`host`, `/p?q`); `/p` → (nil, `/p`). The scheme and port are ignored; a URL
    /// without a path means `/`.
    public static func split(_ text: String) -> (host: String?, pathAndQuery: String) {
        guard let schemeEnd = text.range(of: "://") else { return (nil, text) }
        let rest = text[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let host = normalizedHost(String(rest[..<pathStart]))
        var path = String(rest[pathStart...])
        if path.isEmpty || path.hasPrefix("?") { path = "/" + path }
        return (host, path)
    }

    /// Lower-cased, without a port (`Example.com:8080` → `example.com`, `[::1]:80` → `[::1]`).
    public static func normalizedHost(_ text: String) -> String {
        var host = Substring(text.lowercased())
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]") { host = host[...close] }
        } else if let colon = host.lastIndex(of: ":") {
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        return String(host)
    }
}
