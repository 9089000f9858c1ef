import TernCore

/// What a listener does with an encoded path separator (`%2F`, and `%5C` for `\`) in a request path.
///
/// Config key `listeners[].encoded_slashes`. The default refuses them: an origin that decodes them
/// (many do) would see a different path structure than the one Tern routed and filtered.
public enum EncodedSlashPolicy: String, Sendable, Equatable, CaseIterable {
    /// 400 Bad Request (the default).
    case reject
    /// Decode to `/` (both `%2F` and `%5C`), so they separate segments like a literal `/` and take part in
    /// slash merging and dot-segment removal (what nginx does with `merge_slashes` on a Windows build).
    case decode
    /// Keep them encoded (upper-case hex) as opaque data inside a segment. Only for origins known to
    /// treat `%2F` as data (object stores with slashes in keys).
    case keep
}

/// How requests are canonicalised on one listener.
public struct CanonicalizationOptions: Sendable, Equatable {
    public var encodedSlashes: EncodedSlashPolicy
    /// The listener scheme's default port, dropped from the authority (80 for http, 443 for https).
    public var defaultPort: Int

    public init(encodedSlashes: EncodedSlashPolicy = .reject, defaultPort: Int = 80) {
        self.encodedSlashes = encodedSlashes
        self.defaultPort = defaultPort
    }

    public static let `default` = CanonicalizationOptions()
}

/// Why a request has no canonical form (each is answered with 400).
public enum CanonicalizationError: Error, Equatable, Sendable {
    /// `%` not followed by two hex digits in the path.
    case badPercentEncoding
    /// `%00` in the path.
    case encodedNUL
    /// `%2F` or `%5C` in the path on a listener that rejects them.
    case encodedSlash
    /// `..` segments climb above the root (`/../x`, `/a/../../x`).
    case pathAboveRoot
    /// The authority (`Host`, or an absolute-form target's) is not a reg-name, IPv4 or bracketed IPv6
    /// literal with an optional decimal port.
    case badHost

    /// The reason given in the 400 response's body.
    public var reason: String {
        switch self {
        case .badPercentEncoding: "invalid percent-encoding in the path"
        case .encodedNUL: "encoded NUL in the path"
        case .encodedSlash: "encoded '/' or '\\' in the path"
        case .pathAboveRoot: "the path climbs above the root"
        case .badHost: "invalid Host"
        }
    }
}

/// One request in the only spelling Tern acts on: computed once right after parsing, and used by
/// routing, access lists, rate-limit keys, the WAF, the cache key, the access log and the request
/// sent upstream (Docs/security.md, "Canonical requests").
///
/// Rules (RFC 3986 §6.2.2 and §5.2.4, with nginx's choices where the RFC leaves one):
/// - **Percent-encoding**: escapes of unreserved characters (`A–Z a–z 0–9 - . _ ~`) are decoded, every
///   other escape gets upper-case hex digits. A `%` without two hex digits, or `%00`, is refused.
/// - **Encoded separators**: `%2F` and `%5C` follow the listener's ``EncodedSlashPolicy``.
/// - **Empty segments** are merged: `//a///b` is `/a/b` (nginx's `merge_slashes on`). A trailing `/` stays.
/// - **Dot segments** are removed after decoding (so `%2e%2e` is `..`): `/a/./b` → `/a/b`,
///   `/a/x/../b` → `/a/b`, `/a/b/..` → `/a/`. A `..` that would climb above the root is refused
///   (nginx refuses it too; RFC 3986 would drop it).
/// - **Query**: escapes normalised as in the path; otherwise untouched (`+`, order and empty pairs are
///   the origin's business).
/// - **Host**: the absolute-form target's authority, else `Host`. Lower-cased, one trailing dot and the
///   default port dropped; the name must be a DNS-style reg-name (letters, digits, `-`, `_`, `.`, no empty
///   label), a dotted-quad IPv4, or a bracketed IPv6 literal (canonical RFC 5952 text); a port is 1–5
///   digits up to 65535. Anything else (`h/evil`, `h, evil`, `u@h`, `h:abc`, `%`-escapes) is refused.
public struct CanonicalRequest: Sendable, Equatable {
    /// The canonical authority (`example.com`, `example.com:8080`, `[::1]`), or `nil` when the request
    /// named none (HTTP/1.0 without `Host`).
    public var authority: String?
    /// The path: starts with `/` (or is `*` for `OPTIONS *`).
    public var path: String
    /// The query without `?`, or `nil`.
    public var query: String?

    public init(authority: String?, path: String, query: String?) {
        self.authority = authority
        self.path = path
        self.query = query
    }

    /// `path?query`: the origin-form target sent upstream.
    public var originForm: String {
        guard let query = self.query else { return self.path }
        return self.path + "?" + query
    }

    /// Canonicalises a parsed target and the request's `Host` value.
    public static func make(
        target: RequestTarget, hostField: String?, options: CanonicalizationOptions = .default
    ) throws(CanonicalizationError) -> CanonicalRequest {
        let rawAuthority = target.host ?? hostField
        let authority = try rawAuthority.map { (raw) throws(CanonicalizationError) -> String in
            try Self.canonicalAuthority(raw, defaultPort: options.defaultPort)
        }
        let path = target.path == "*" ? "*" : try Self.canonicalPath(target.path, encodedSlashes: options.encodedSlashes)
        return CanonicalRequest(authority: authority, path: path, query: target.query.map(Self.canonicalQuery))
    }

    // MARK: Path

    /// The canonical form of an absolute path (see the type's rules). `path` holds only RFC 3986
    /// characters (``RequestTarget`` checked them).
    public static func canonicalPath(_ path: String, encodedSlashes: EncodedSlashPolicy) throws(CanonicalizationError) -> String {
        // Fast path: no escape, no empty segment, no segment starting with a dot → already canonical.
        var previous: UInt8 = 0
        var simple = path.utf8.first == UInt8(ascii: "/")
        if simple {
            for byte in path.utf8 {
                if byte == UInt8(ascii: "%") || (previous == UInt8(ascii: "/") && (byte == UInt8(ascii: "/") || byte == UInt8(ascii: "."))) {
                    simple = false
                    break
                }
                previous = byte
            }
        }
        if simple { return path }

        // 1. Percent-decoding of unreserved characters, upper-case hex for the rest.
        var decoded: [UInt8] = []
        decoded.reserveCapacity(path.utf8.count + 1)
        var bytes = Array(path.utf8)
        if bytes.first != UInt8(ascii: "/") { bytes.insert(UInt8(ascii: "/"), at: 0) }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                i += 1
                continue
            }
            guard i + 2 < bytes.count, let hi = Self.hexValue(bytes[i + 1]), let lo = Self.hexValue(bytes[i + 2]) else {
                throw .badPercentEncoding
            }
            let value = hi << 4 | lo
            i += 3
            if value == 0 { throw .encodedNUL }
            if value == UInt8(ascii: "/") || value == UInt8(ascii: "\\") {
                switch encodedSlashes {
                case .reject: throw .encodedSlash
                case .decode:
                    decoded.append(UInt8(ascii: "/"))
                    continue
                case .keep: break
                }
            }
            if Self.isUnreserved(value) {
                decoded.append(value)
            } else {
                decoded.append(UInt8(ascii: "%"))
                decoded.append(Self.hexDigit(hi))
                decoded.append(Self.hexDigit(lo))
            }
        }

        // 2. Segments: merge empty ones, drop `.`, let `..` pop its parent.
        var segments: [ArraySlice<UInt8>] = []
        var trailingSlash = false
        var start = 1  // decoded[0] is "/"
        while start <= decoded.count {
            let end = decoded[start...].firstIndex(of: UInt8(ascii: "/")) ?? decoded.count
            let segment = decoded[start..<end]
            let isLast = end == decoded.count
            if segment.isEmpty {
                if isLast { trailingSlash = true }
            } else if segment.count == 1 && segment.first == UInt8(ascii: ".") {
                if isLast { trailingSlash = true }
            } else if segment.count == 2 && segment.first == UInt8(ascii: ".") && segment.last == UInt8(ascii: ".") {
                guard !segments.isEmpty else { throw .pathAboveRoot }
                segments.removeLast()
                if isLast { trailingSlash = true }
            } else {
                segments.append(segment)
                trailingSlash = false
            }
            start = end + 1
        }
        var out: [UInt8] = []
        out.reserveCapacity(decoded.count)
        for segment in segments {
            out.append(UInt8(ascii: "/"))
            out.append(contentsOf: segment)
        }
        if out.isEmpty || trailingSlash { out.append(UInt8(ascii: "/")) }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Query

    /// Upper-case hex in escapes and unreserved characters decoded; anything else is kept as sent
    /// (a malformed escape in a query is the origin's to judge). In a query with a `%` that starts no
    /// escape, nothing is decoded: a decoded digit could complete a new escape with that `%`
    /// (`%%34%31` → `%41`), changing what the origin reads and what canonicalising again gives.
    public static func canonicalQuery(_ query: String) -> String {
        guard query.utf8.contains(UInt8(ascii: "%")) else { return query }
        let bytes = Array(query.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var strayPercent = false
        var j = 0
        while j < bytes.count {
            if bytes[j] == UInt8(ascii: "%") {
                guard j + 2 < bytes.count, Self.isHexDigit(bytes[j + 1]), Self.isHexDigit(bytes[j + 2]) else {
                    strayPercent = true
                    break
                }
                j += 3
            } else {
                j += 1
            }
        }
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let hi = Self.hexValue(bytes[i + 1]), let lo = Self.hexValue(bytes[i + 2]) {
                let value = hi << 4 | lo
                if Self.isUnreserved(value) && !strayPercent {
                    out.append(value)
                } else {
                    out.append(UInt8(ascii: "%"))
                    out.append(Self.hexDigit(hi))
                    out.append(Self.hexDigit(lo))
                }
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Authority

    /// The canonical authority for `raw` (see the type's rules).
    public static func canonicalAuthority(_ raw: String, defaultPort: Int) throws(CanonicalizationError) -> String {
        if Self.isCanonicalRegName(raw, defaultPort: defaultPort) { return raw }
        return try Self.parseAuthority(raw, defaultPort: defaultPort)
    }

    /// The full parse behind ``canonicalAuthority(_:defaultPort:)``.
    static func parseAuthority(_ raw: String, defaultPort: Int) throws(CanonicalizationError) -> String {
        let utf8 = Array(raw.utf8)
        guard !utf8.isEmpty, utf8.count <= 261 else { throw .badHost }
        var hostEnd: Int
        var host: String
        if utf8[0] == UInt8(ascii: "[") {
            guard let close = utf8.firstIndex(of: UInt8(ascii: "]")), close > 1 else { throw .badHost }
            let literal = String(decoding: utf8[1..<close], as: UTF8.self)
            // Only IPv6 literals (no zone identifiers, no IPvFuture).
            guard literal.utf8.allSatisfy({ Self.isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") }),
                  let address = IPAddress(literal), !address.isIPv4
            else { throw .badHost }
            host = "[\(address.description)]"
            hostEnd = close + 1
            guard hostEnd == utf8.count || utf8[hostEnd] == UInt8(ascii: ":") else { throw .badHost }
        } else {
            hostEnd = utf8.firstIndex(of: UInt8(ascii: ":")) ?? utf8.count
            var name = Array(utf8[0..<hostEnd])
            if name.last == UInt8(ascii: "."), name.count > 1 { name.removeLast() }
            guard !name.isEmpty, name.count <= 253 else { throw .badHost }
            var labelLength = 0
            var allNumeric = true
            for index in name.indices {
                let lower = name[index] &- 65 < 26 ? name[index] | 0x20 : name[index]
                name[index] = lower
                switch lower {
                case UInt8(ascii: "."):
                    guard labelLength > 0 else { throw .badHost }
                    labelLength = 0
                    continue
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    break
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                    allNumeric = false
                default:
                    throw .badHost
                }
                labelLength += 1
                guard labelLength <= 63 else { throw .badHost }
            }
            guard labelLength > 0 else { throw .badHost }
            host = String(decoding: name, as: UTF8.self)
            if allNumeric {
                // All-numeric labels are an IPv4 literal, which must be a plain dotted quad.
                guard let address = IPAddress(host), address.isIPv4 else { throw .badHost }
                host = address.description
            }
        }
        if hostEnd == utf8.count { return host }
        // ":" then an optional port (RFC 3986 §3.2.3 allows an empty one).
        let portBytes = utf8[(hostEnd + 1)...]
        if portBytes.isEmpty { return host }
        guard portBytes.count <= 5, portBytes.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { throw .badHost }
        let port = portBytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard port <= 65535 else { throw .badHost }
        return port == defaultPort ? host : "\(host):\(port)"
    }

    /// Whether `raw` is already canonical (the common case, checked without allocating): a reg-name of
    /// lower-case labels of letters, digits, `-` and `_` that are not all numeric, or a dotted quad without
    /// leading zeros; no trailing dot; no port, or a non-default one without leading zeros.
    static func isCanonicalRegName(_ raw: String, defaultPort: Int) -> Bool {
        var labelLength = 0
        var labels = 0
        var totalLength = 0
        var sawLetter = false
        // The current label's value as a decimal number (only read when no label had a letter: the dotted-quad check).
        var octet = 0
        var octetsValid = true
        var port = -1
        for byte in raw.utf8 {
            if port >= 0 {
                guard byte &- UInt8(ascii: "0") < 10, !(port == 0 && byte == UInt8(ascii: "0")), port < 6554 else { return false }
                port = port * 10 + Int(byte - UInt8(ascii: "0"))
                continue
            }
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                sawLetter = true
                labelLength += 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if labelLength > 0 && octet == 0 { octetsValid = false }  // a leading zero
                octet = octet * 10 + Int(byte - UInt8(ascii: "0"))
                if octet > 255 { octetsValid = false; octet = 256 }
                labelLength += 1
            case UInt8(ascii: "."), UInt8(ascii: ":"):
                guard labelLength > 0 else { return false }
                labels += 1
                labelLength = 0
                octet = 0
                if byte == UInt8(ascii: ":") { port = 0 }
                continue
            default:
                return false
            }
            totalLength += 1
            guard labelLength <= 63, totalLength <= 253 else { return false }
        }
        if port < 0 {
            guard labelLength > 0 else { return false }
            labels += 1
        }
        guard sawLetter || (octetsValid && labels == 4) else { return false }
        if port >= 0 { return port > 0 && port <= 65535 && port != defaultPort }
        return true
    }

    // MARK: Bytes

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    static func isHexDigit(_ b: UInt8) -> Bool { Self.hexValue(b) != nil }

    static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "A") + v - 10
    }

    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
