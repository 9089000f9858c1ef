import NIOHTTP1
import TernCore

/// What a forwarding hop knows about the client connection a request came in on.
///
/// Built once per request by the proxy from the socket and its trust configuration; consumed by
/// ``ProxyHeaders/prepareRequest(_:forwarding:)``.
public struct ForwardingContext: Sendable, Equatable {
    /// The address of the TCP peer (text form, e.g. `203.0.113.7` or `2001:db8::1`).
    public var peerAddress: String
    /// Whether the peer is one of the configured trusted proxies. Only then are incoming
    /// `X-Forwarded-*` / `Forwarded` values kept and extended; otherwise they are replaced.
    public var peerIsTrusted: Bool
    /// `http` or `https`: the scheme the client used to reach this hop.
    public var scheme: String
    /// The pseudonym for `Via` (RFC 9110 §7.6.3), or `nil` to add none.
    public var viaPseudonym: String?
    /// Add an RFC 7239 `Forwarded` field as well as the `X-Forwarded-*` fields.
    public var addForwarded: Bool
    /// The `Host` to send upstream, or `nil` to keep the client's.
    public var upstreamHost: String?

    public init(
        peerAddress: String,
        peerIsTrusted: Bool,
        scheme: String = "http",
        viaPseudonym: String? = "tern",
        addForwarded: Bool = false,
        upstreamHost: String? = nil
    ) {
        self.peerAddress = peerAddress
        self.peerIsTrusted = peerIsTrusted
        self.scheme = scheme
        self.viaPseudonym = viaPseudonym
        self.addForwarded = addForwarded
        self.upstreamHost = upstreamHost
    }
}

/// Header rewriting a reverse proxy owes each message it forwards (RFC 9110 §7.6).
public enum ProxyHeaders {
    /// Fields that describe one connection and never travel past it (RFC 9110 §7.6.1), plus the
    /// legacy `Proxy-Connection` and `Keep-Alive`.
    public static let hopByHopFields: [String] = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
    ]

    /// End-to-end fields a `Connection` option can't remove (RFC 9110 §7.6.1: "a sender MUST NOT send a
    /// connection option corresponding to a field that is intended for all recipients"). Tern reads them
    /// to frame, route, key, validate or store a message, so letting one hop strip them would make Tern
    /// act on one message and forward another (`Connection: Host` once sent the origin its default host
    /// and cached the answer under the client's).
    public static let protectedFromConnection = FieldNameSet([
        "host", "content-length", "content-type", "content-encoding", "content-range", "content-location",
        "authorization", "cookie", "set-cookie", "cache-control", "pragma", "expires", "age", "date", "etag",
        "last-modified", "vary", "range", "if-range", "if-match", "if-none-match", "if-modified-since",
        "if-unmodified-since", "accept-encoding", "location", "surrogate-control", "cdn-cache-control",
    ])

    /// Removes the hop-by-hop fields and every field that `Connection` names (RFC 9110 §7.6.1), except
    /// the ``protectedFromConnection`` ones.
    ///
    /// The common case (no hop-by-hop field present) costs one pass over the names and no allocation;
    /// otherwise the list is rebuilt in a single pass.
    public static func stripHopByHop(_ headers: inout HTTPHeaders) {
        var found = false
        for (name, _) in headers where Self.isHopByHop(name) {
            found = true
            break
        }
        guard found else { return }
        headers = Self.filtered(headers, hide: [])
    }

    /// The fields that are neither hop-by-hop, nor named by `Connection`, nor in `hide`
    /// (lower-case names), in their original order.
    static func filtered(_ headers: HTTPHeaders, hide: [String]) -> HTTPHeaders {
        HTTPHeaders(Self.filteredFields(headers, hide: hide, collectVia: false).fields)
    }

    /// ``filtered(_:hide:)`` as a plain array (cheaper than `HTTPHeaders.add`, which re-checks every
    /// name for ASCII); with `collectVia`, `Via` fields are taken out and returned joined.
    static func filteredFields(_ headers: HTTPHeaders, hide: [String], collectVia: Bool) -> (fields: [(String, String)], via: String?) {
        var connectionTokens: [String] = []
        for (name, value) in headers where name.utf8.count == 10 && name.caseInsensitiveEquals("connection") {
            if value.caseInsensitiveEquals("keep-alive") || value.caseInsensitiveEquals("close") { continue }
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingSpaces()
                if !trimmed.isEmpty, !Self.protectedFromConnection.contains(String(trimmed)) { connectionTokens.append(trimmed.lowercased()) }
            }
        }
        var out: [(String, String)] = []
        out.reserveCapacity(headers.count + 1)
        var via: String?
        for (name, value) in headers {
            if Self.isHopByHop(name) { continue }
            if !hide.isEmpty, hide.contains(where: { name.caseInsensitiveEquals($0) }) { continue }
            if !connectionTokens.isEmpty, connectionTokens.contains(where: { name.caseInsensitiveEquals($0) }) { continue }
            if collectVia, name.utf8.count == 3, name.caseInsensitiveEquals("via") {
                via = via.map { "\($0), \(value)" } ?? value
                continue
            }
            out.append((name, value))
        }
        return (out, via)
    }

    /// Whether a message keeps its connection open (RFC 9112 §9.3), with the same reading as NIO's
    /// `HTTPRequestHead.isKeepAlive`/`HTTPResponseHead.isKeepAlive`: the `Connection` fields'
    /// comma-separated tokens; `close` or `keep-alive` decide (both, or one twice: close); neither
    /// → HTTP/1.1 keeps alive, HTTP/1.0 does not.
    ///
    /// NIO answers from its parser's note when llhttp built the headers; for fields parsed by
    /// Tern's own decoder it would scan them through `headers[canonicalForm:]` (~8k instructions).
    /// This is one pass with a length check per field.
    public static func isKeepAlive(_ headers: HTTPHeaders, version: HTTPVersion) -> Bool {
        var decisions = 0
        var close = false
        for (name, value) in headers where name.utf8.count == 10 && name.caseInsensitiveEquals("connection") {
            Self.connectionTokens(value) { isClose in
                decisions += 1
                close = close || isClose
            }
        }
        if decisions == 0 { return version.major == 1 && version.minor >= 1 }
        return decisions == 1 && !close
    }

    /// Calls `found(true)` for each `close` token and `found(false)` for each `keep-alive` token
    /// (any case, OWS-trimmed) of a comma-separated `Connection` value; bytes, no substrings.
    @inline(__always)
    static func connectionTokens(_ value: String, _ found: (Bool) -> Void) {
        // The current token, lowercased, packed into 16 bytes (longer ones match neither word).
        var low: UInt64 = 0
        var high: UInt64 = 0
        var length = 0
        var spaceAfter = false
        var valid = true
        func finish() {
            defer { low = 0; high = 0; length = 0; spaceAfter = false; valid = true }
            guard valid else { return }
            if length == 5, low == Self.closeWord { found(true) }
            if length == 10, low == Self.keepAliveLow, high == Self.keepAliveHigh { found(false) }
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: ","):
                finish()
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if length > 0 { spaceAfter = true }
            default:
                if spaceAfter || length >= 16 { valid = false }
                let lower = byte &- 65 < 26 ? byte | 0x20 : byte
                if length < 8 { low |= UInt64(lower) << (8 * UInt64(length)) } else if length < 16 { high |= UInt64(lower) << (8 * UInt64(length - 8)) }
                length += 1
            }
        }
        finish()
    }

    /// "close", "keep-ali" and "ve" packed little-endian (literals: a global `let` would cost a
    /// lazy-initialisation check per use).
    static var closeWord: UInt64 { 0x65_73_6F_6C_63 }
    static var keepAliveLow: UInt64 { 0x69_6C_61_2D_70_65_65_6B }
    static var keepAliveHigh: UInt64 { 0x65_76 }

    /// Whether `name` (any case) is one of ``hopByHopFields``.
    @inlinable
    public static func isHopByHop(_ name: String) -> Bool {
        switch name.utf8.count {
        case 2: return name.caseInsensitiveEquals("te")
        case 7: return name.caseInsensitiveEquals("trailer") || name.caseInsensitiveEquals("upgrade")
        case 10: return name.caseInsensitiveEquals("connection") || name.caseInsensitiveEquals("keep-alive")
        case 16: return name.caseInsensitiveEquals("proxy-connection")
        case 17: return name.caseInsensitiveEquals("transfer-encoding")
        default: return false
        }
    }

    /// Rewrites a client request's fields for the upstream hop: strips hop-by-hop fields and
    /// `Expect` (this hop answers `100-continue` itself), sets `X-Forwarded-For`, `-Proto`, `-Host`
    /// (extending incoming values only from a trusted peer), optionally `Forwarded` (RFC 7239),
    /// appends `Via`, and applies the pool's `Host` policy.
    ///
    /// One pass over the incoming fields builds the outgoing list: this runs for every proxied
    /// request, so it avoids the repeated scans of `remove(name:)`/`replaceOrAdd`.
    public static func prepareRequest(_ headers: inout HTTPHeaders, version: HTTPVersion, forwarding: ForwardingContext) {
        let trusted = forwarding.peerIsTrusted
        var connectionTokens: [Substring] = []
        for (name, value) in headers where name.utf8.count == 10 && name.caseInsensitiveEquals("connection") {
            for token in value.split(separator: ",") {
                let trimmed = token.trimmingSpaces()
                if !trimmed.isEmpty, !Self.protectedFromConnection.contains(String(trimmed)) { connectionTokens.append(trimmed) }
            }
        }
        // A plain array: `HTTPHeaders.add` re-checks every name for ASCII (~400 instructions a field).
        var out: [(String, String)] = []
        out.reserveCapacity(headers.count + 5)
        var clientHost: String?
        var incomingFor: String?
        var incomingProto: String?
        var incomingForwardedHost: String?
        var incomingForwarded: String?
        var incomingVia: String?
        for (name, value) in headers {
            if Self.isHopByHop(name) { continue }
            switch name.utf8.count {
            case 4 where name.caseInsensitiveEquals("host"):
                if clientHost == nil { clientHost = value }
                if forwarding.upstreamHost != nil { continue }
            case 6 where name.caseInsensitiveEquals("expect"):
                continue
            case 3 where name.caseInsensitiveEquals("via"):
                incomingVia = incomingVia.map { "\($0), \(value)" } ?? value
                continue
            case 9 where name.caseInsensitiveEquals("forwarded"):
                if trusted { incomingForwarded = incomingForwarded.map { "\($0), \(value)" } ?? value }
                continue
            case 15 where name.caseInsensitiveEquals("x-forwarded-for"):
                if trusted { incomingFor = incomingFor.map { "\($0), \(value)" } ?? value }
                continue
            case 16 where name.caseInsensitiveEquals("x-forwarded-host"):
                if trusted, incomingForwardedHost == nil { incomingForwardedHost = value }
                continue
            case 17 where name.caseInsensitiveEquals("x-forwarded-proto"):
                if trusted, incomingProto == nil { incomingProto = value }
                continue
            default:
                break
            }
            if !connectionTokens.isEmpty, connectionTokens.contains(where: { name.caseInsensitiveEquals($0.lowercased()) }) {
                continue
            }
            out.append((name, value))
        }
        if let host = forwarding.upstreamHost { out.append(("Host", host)) }
        out.append(("X-Forwarded-For", incomingFor.map { "\($0), \(forwarding.peerAddress)" } ?? forwarding.peerAddress))
        out.append(("X-Forwarded-Proto", incomingProto ?? forwarding.scheme))
        if let forwardedHost = incomingForwardedHost ?? clientHost {
            out.append(("X-Forwarded-Host", forwardedHost))
        }
        if forwarding.addForwarded {
            var element = "for=\(Self.forwardedNode(forwarding.peerAddress));proto=\(forwarding.scheme)"
            if let clientHost { element += ";host=\(Self.quotedIfNeeded(clientHost))" }
            out.append(("Forwarded", incomingForwarded.map { "\($0), \(element)" } ?? element))
        } else if let incomingForwarded {
            out.append(("Forwarded", incomingForwarded))
        }
        if let pseudonym = forwarding.viaPseudonym {
            let hop = Self.viaHop(version: version, pseudonym: pseudonym)
            out.append(("Via", incomingVia.map { "\($0), \(hop)" } ?? hop))
        } else if let incomingVia {
            out.append(("Via", incomingVia))
        }
        headers = HTTPHeaders(out)
    }

    /// The `Via` element this hop adds (RFC 9110 §7.6.3): `1.1 tern` or `1.0 tern`.
    public static func viaHop(version: HTTPVersion, pseudonym: String) -> String {
        version.major == 1 && version.minor == 0 ? "1.0 \(pseudonym)" : "1.1 \(pseudonym)"
    }

    /// Rewrites an origin response's fields for the client: strips hop-by-hop fields, removes the
    /// configured revealing fields (`Server`, `X-Powered-By` by default) and appends `Via`.
    public static func prepareResponse(
        _ headers: inout HTTPHeaders,
        version: HTTPVersion,
        hide: [String],
        viaPseudonym: String?
    ) {
        var (fields, incomingVia) = Self.filteredFields(headers, hide: hide, collectVia: viaPseudonym != nil)
        if let viaPseudonym {
            let hop = Self.viaHop(version: version, pseudonym: viaPseudonym)
            fields.append(("Via", incomingVia.map { "\($0), \(hop)" } ?? hop))
        }
        headers = HTTPHeaders(fields)
    }

    public static func appendVia(_ headers: inout HTTPHeaders, version: HTTPVersion, pseudonym: String) {
        let hop = Self.viaHop(version: version, pseudonym: pseudonym)
        if let existing = headers.joinedValues(name: "via") {
            headers.replaceOrAdd(name: "Via", value: "\(existing), \(hop)")
        } else {
            headers.add(name: "Via", value: hop)
        }
    }

    /// RFC 7239 §6: IPv6 nodes are bracketed and quoted.
    static func forwardedNode(_ address: String) -> String {
        address.contains(":") ? "\"[\(address)]\"" : address
    }

    static func quotedIfNeeded(_ value: String) -> String {
        value.contains(":") ? "\"\(value)\"" : value
    }
}

extension HTTPHeaders {
    /// All values of `name` joined with `", "`, or `nil` when the field is absent.
    @usableFromInline
    func joinedValues(name: String) -> String? {
        let values = self[name]
        if values.isEmpty { return nil }
        return values.count == 1 ? values[0] : values.joined(separator: ", ")
    }
}

extension String {
    /// ASCII case-insensitive equality against a lower-case literal.
    @inlinable
    public func caseInsensitiveEquals(_ lowercaseLiteral: String) -> Bool {
        let a = self.utf8
        let b = lowercaseLiteral.utf8
        guard a.count == b.count else { return false }
        // Fast path over contiguous UTF-8 (native strings); falls back to index iteration.
        if let result = a.withContiguousStorageIfAvailable({ lhs in
            b.withContiguousStorageIfAvailable { rhs -> Bool in
                for i in 0..<lhs.count {
                    let x = lhs[i]
                    let lx = x &- 65 < 26 ? x | 0x20 : x
                    if lx != rhs[i] { return false }
                }
                return true
            }
        }), let equal = result {
            return equal
        }
        var i = a.startIndex
        var j = b.startIndex
        while i != a.endIndex {
            let x = a[i]
            let lx = x &- 65 < 26 ? x | 0x20 : x
            if lx != b[j] { return false }
            a.formIndex(after: &i)
            b.formIndex(after: &j)
        }
        return true
    }
}
