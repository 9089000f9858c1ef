import NIOHTTP1
import TernCore

/// How a route builds its primary cache key (RFC 9111 §2: the key is at least the method and
/// target URI; these options widen or narrow it). Decoded from route key `cache.key` (TernConfig's
/// `CacheKeyConfig` is this type).
public struct CacheKeyOptions: Sendable, Equatable {
    /// What part of the query string enters the key (key `query`).
    public enum Query: Sendable, Equatable {
        /// The query as sent, percent-encoding normalised (YAML `keep`, the default).
        case keep
        /// Parameters sorted by name, so `?b=1&a=2` and `?a=2&b=1` share an entry; repeated names keep
        /// their order (YAML `sort`).
        case sort
        /// No query at all. Danger: every query variant shares one object (YAML `drop`).
        case drop
        /// Only these parameter names, in request order; case-sensitive (YAML `{allow: [a, b]}`).
        case allow([String])
        /// All but these parameter names (e.g. `utm_source`), in request order; case-sensitive
        /// (YAML `{deny: [utm_source]}`).
        case deny([String])
    }

    public var query: Query
    /// Request header fields whose values are added to the key (key `headers`, e.g. `x-device`);
    /// lower-cased, without duplicates.
    public var headers: [String]
    /// Cookie names whose values are added to the key (key `cookies`, e.g. `lang`); case-sensitive,
    /// without duplicates.
    public var cookies: [String]

    /// The query as received, no headers, no cookies.
    public static let `default` = CacheKeyOptions()

    /// Creates a key description; values are taken as given (no validation).
    public init(query: Query = .keep, headers: [String] = [], cookies: [String] = []) {
        self.query = query
        self.headers = headers
        self.cookies = cookies
    }
}

/// The primary cache key (RFC 9111 §2): scheme, authority and target, normalised so equivalent
/// URIs share an object (RFC 3986 §6.2.2), plus configured header and cookie values.
///
/// Format (version 2): `http://example.com/a/b?x=1`, then for each extra `U+001F h:x-device=mobile`
/// or `U+001F c:lang=en` (an absent header or cookie is `h:name` / `c:name`, distinct from an empty
/// one), then `U+001F o:pool`, the partition: the route's origin pool, so one route's response can
/// never fill an entry another route serves. Version 1 keys had no partition; since every version 2
/// key has one, no version 1 entry left in a disk tier is ever found (they age out by LRU). Normalisation: scheme and host lower-cased; a trailing dot and the default port (80 for
/// http, 443 for https) removed; path and query keep their bytes except that `%xx` escapes get
/// upper-case hex digits and escapes of unreserved characters (`A–Z a–z 0–9 - . _ ~`) are decoded
/// (RFC 3986 §6.2.2.1–2). Dot segments are not removed and `+` is not a space: the origin may
/// treat those differently. An empty path is `/`. Control characters and `%` in host, header and
/// cookie values are percent-encoded so no value can forge a separator.
///
/// Danger: a key coarser than what the origin varies on serves one user's response to another
/// (cache poisoning); a key finer than needed only costs hit rate.
public enum CacheKey {
    /// The primary key for a request.
    public static func primary(
        scheme: String,
        host: String,
        path: String,
        query: String?,
        requestHeaders: HTTPHeaders,
        options: CacheKeyOptions,
        partition: String
    ) -> String {
        let scheme = CacheFieldParsing.lower(Substring(scheme))
        var key = "\(scheme)://\(Self.normalizedHost(host, scheme: scheme))\(Self.normalizedPath(path))"
        if let q = Self.normalizedQuery(query, options.query) { key += "?\(q)" }
        for name in options.headers {
            let lower = CacheFieldParsing.lower(Substring(name))
            key += "\u{1F}h:\(lower)"
            if let value = CacheVary.normalizedValue(name: lower, request: requestHeaders) {
                key += "=\(Self.escape(value))"
            }
        }
        let jar = Self.cookies(requestHeaders)
        for name in options.cookies {
            key += "\u{1F}c:\(name)"
            if let value = jar[name] { key += "=\(Self.escape(value))" }
        }
        key += "\u{1F}o:"
        key += Self.escape(partition)
        return key
    }

    /// Human-readable lines describing how each part of the key was derived
    /// (`tern check-config --explain-key`). The last line is the key, with U+001F shown as ` ␟ `.
    public static func explain(
        scheme: String,
        host: String,
        path: String,
        query: String?,
        requestHeaders: HTTPHeaders,
        options: CacheKeyOptions,
        partition: String
    ) -> [String] {
        var lines: [String] = []
        let lowerScheme = CacheFieldParsing.lower(Substring(scheme))
        lines.append(lowerScheme == scheme ? "scheme: \(scheme)" : "scheme: \(scheme) → \(lowerScheme) (lower-cased)")

        let normalizedHost = Self.normalizedHost(host, scheme: lowerScheme)
        lines.append(
            normalizedHost == host
                ? "host: \(host)"
                : "host: \(host) → \(normalizedHost) (lower-cased; trailing dot and default port removed)"
        )

        let normalizedPath = Self.normalizedPath(path)
        lines.append(
            normalizedPath == path
                ? "path: \(path)"
                : "path: \(path) → \(normalizedPath) (percent-encoding normalised, RFC 3986 §6.2.2)"
        )

        let normalizedQuery = Self.normalizedQuery(query, options.query)
        let mode: String
        switch options.query {
        case .keep: mode = "keep"
        case .sort: mode = "sort by name"
        case .drop: mode = "drop"
        case .allow(let names): mode = "allow \(names.joined(separator: ", "))"
        case .deny(let names): mode = "deny \(names.joined(separator: ", "))"
        }
        lines.append("query (\(mode)): \(query.map { "?\($0)" } ?? "none") → \(normalizedQuery.map { "?\($0)" } ?? "none")")

        for name in options.headers {
            let lower = CacheFieldParsing.lower(Substring(name))
            let value = CacheVary.normalizedValue(name: lower, request: requestHeaders)
            lines.append("header \(lower): \(value.map { "\"\($0)\"" } ?? "absent")")
        }
        let jar = Self.cookies(requestHeaders)
        for name in options.cookies {
            lines.append("cookie \(name): \(jar[name].map { "\"\($0)\"" } ?? "absent")")
        }
        lines.append("partition: origin \(partition) (the route's pool)")
        let key = Self.primary(
            scheme: scheme, host: host, path: path, query: query, requestHeaders: requestHeaders, options: options, partition: partition
        )
        lines.append("key: " + key.split(separator: "\u{1F}", omittingEmptySubsequences: false).joined(separator: " ␟ "))
        return lines
    }

    /// Lower-cased host without a trailing dot or the scheme's default port
    /// (`Example.COM.:80` → `example.com` for http; `[::1]:443` → `[::1]` for https).
    public static func normalizedHost(_ host: String, scheme: String) -> String {
        var h = Substring(CacheFieldParsing.lower(Substring(host)))
        var port: Substring?
        if h.hasPrefix("[") {
            if let close = h.firstIndex(of: "]") {
                let after = h[h.index(after: close)...]
                if after.first == ":" { port = after.dropFirst() }
                h = h[...close]
            }
        } else if let colon = h.lastIndex(of: ":") {
            port = h[h.index(after: colon)...]
            h = h[..<colon]
        }
        if h.hasSuffix(".") { h = h.dropLast() }
        let defaultPort: Substring = scheme == "https" ? "443" : scheme == "http" ? "80" : ""
        var out = Self.escape(String(h))
        if let port, !port.isEmpty, port != defaultPort { out += ":\(port)" }
        return out
    }

    /// The path with normalised percent-encoding (RFC 3986 §6.2.2.1–2); `/` when empty.
    public static func normalizedPath(_ path: String) -> String {
        path.isEmpty ? "/" : Self.normalizePercentEncoding(Substring(path))
    }

    /// The query as it enters the key, or `nil` for none. `.keep` preserves an empty query
    /// (`/a?` differs from `/a`, RFC 3986 §6.2.3); the other modes drop it when nothing is left.
    public static func normalizedQuery(_ query: String?, _ mode: CacheKeyOptions.Query) -> String? {
        guard let query else { return nil }
        let normalized = Self.normalizePercentEncoding(Substring(query))
        func parameters() -> [(name: Substring, text: Substring)] {
            normalized.split(separator: "&").map { ($0.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0], $0) }
        }
        let kept: [Substring]
        switch mode {
        case .keep: return normalized
        case .drop: return nil
        case .sort:
            kept = parameters().enumerated()
                .sorted { $0.element.name != $1.element.name ? $0.element.name < $1.element.name : $0.offset < $1.offset }
                .map(\.element.text)
        case .allow(let names):
            kept = parameters().filter { names.contains(String($0.name)) }.map(\.text)
        case .deny(let names):
            kept = parameters().filter { !names.contains(String($0.name)) }.map(\.text)
        }
        return kept.isEmpty ? nil : kept.joined(separator: "&")
    }

    /// Upper-cases the hex digits of `%xx` and decodes escapes of unreserved characters (the
    /// canonical request's query rule; idempotent on an already canonical path or query).
    static func normalizePercentEncoding(_ s: Substring) -> String {
        CanonicalRequest.canonicalQuery(String(s))
    }

    /// Percent-encodes `%`, control characters and DEL so values cannot contain U+001F.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "%") }) else { return value }
        var out: [UInt8] = []
        for b in value.utf8 {
            if b < 0x20 || b == 0x7F || b == UInt8(ascii: "%") {
                out.append(UInt8(ascii: "%"))
                out.append(Self.hexDigit(b >> 4))
                out.append(Self.hexDigit(b & 0x0F))
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `Cookie` pairs (RFC 6265 §5.4 syntax); the first occurrence of a name wins.
    static func cookies(_ headers: HTTPHeaders) -> [String: String] {
        var jar: [String: String] = [:]
        for line in headers["cookie"] {
            for pair in line.split(separator: ";") {
                let trimmed = HTTPSyntax.trimOWS(pair)
                guard let eq = trimmed.firstIndex(of: "=") else { continue }
                let name = String(HTTPSyntax.trimOWS(trimmed[..<eq]))
                guard !name.isEmpty, jar[name] == nil else { continue }
                jar[name] = String(HTTPSyntax.trimOWS(trimmed[trimmed.index(after: eq)...]))
            }
        }
        return jar
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { CanonicalRequest.hexDigit(v) }
}
