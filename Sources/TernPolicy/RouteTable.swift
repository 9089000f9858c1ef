/// Maps a request's host and path to a route (an index the caller assigned).
///
/// Rules, in order:
/// 1. Routes naming the exact host beat routes with a matching wildcard host (`*.example.com`,
///    any subdomain), which beat routes without a host.
/// 2. Within that group the longest matching path prefix wins.
/// 3. A prefix matches on path-segment boundaries: `/api` matches `/api`, `/api/` and `/api/x`
///    but not `/apix`; a prefix ending in `/` matches anything below it.
/// 4. Among equal candidates the first in configuration order wins.
public struct RouteTable: Sendable {
    public struct Entry: Sendable, Equatable {
        /// Lower-cased host, `*.suffix` wildcard, or `nil` for any host.
        public var host: String?
        public var pathPrefix: String
        public var target: Int

        public init(host: String?, pathPrefix: String, target: Int) {
            self.host = host?.lowercased()
            self.pathPrefix = pathPrefix
            self.target = target
        }
    }

    private let exactHostRoutes: [Entry]
    private let wildcardHostRoutes: [Entry]
    private let anyHostRoutes: [Entry]

    public init(_ entries: [Entry]) {
        // Stable sort by descending prefix length keeps configuration order among equals.
        let sorted = entries.enumerated().sorted { a, b in
            let la = a.element.pathPrefix.utf8.count
            let lb = b.element.pathPrefix.utf8.count
            return la != lb ? la > lb : a.offset < b.offset
        }.map(\.element)
        self.exactHostRoutes = sorted.filter { $0.host.map { !$0.hasPrefix("*.") } ?? false }
        self.wildcardHostRoutes = sorted.filter { $0.host?.hasPrefix("*.") ?? false }
        self.anyHostRoutes = sorted.filter { $0.host == nil }
    }

    /// The target of the best route for `host` (the `Host` field, any case, port allowed) and
    /// `path` (the request target's path, without query), or `nil` when no route matches.
    public func match(host: String?, path: String) -> Int? {
        if let host, !(self.exactHostRoutes.isEmpty && self.wildcardHostRoutes.isEmpty) {
            let bare = Self.normalizedHost(host)
            for group in [self.exactHostRoutes, self.wildcardHostRoutes] {
                for entry in group where Self.hostMatches(pattern: entry.host!, host: bare) {
                    if Self.pathMatches(prefix: entry.pathPrefix, path: path) { return entry.target }
                }
            }
        }
        for entry in self.anyHostRoutes where Self.pathMatches(prefix: entry.pathPrefix, path: path) {
            return entry.target
        }
        return nil
    }

    /// Lower-cases and drops the port (`Example.com:8080` → `example.com`, `[::1]:80` → `[::1]`).
    public static func normalizedHost(_ host: String) -> String {
        var h = Substring(host)
        if h.hasPrefix("[") {
            if let close = h.firstIndex(of: "]") { h = h[...close] }
        } else if let colon = h.lastIndex(of: ":") {
            h = h[..<colon]
        }
        if h.hasSuffix(".") { h = h.dropLast() }
        return h.lowercased()
    }

    static func hostMatches(pattern: String, host: String) -> Bool {
        if pattern.hasPrefix("*.") {
            let suffix = pattern.dropFirst(1)  // ".example.com"
            return host.hasSuffix(suffix) && host.utf8.count > suffix.utf8.count
        }
        return pattern == host
    }

    /// Segment-aware prefix match (see the type's rules).
    public static func pathMatches(prefix: String, path: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") { return true }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/")
    }
}
