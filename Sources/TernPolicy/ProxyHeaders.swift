import NIOHTTP1

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

    /// Removes the hop-by-hop fields and every field that `Connection` names (RFC 9110 §7.6.1).
    ///
    /// The common case (no hop-by-hop field present) costs one pass over the names and no allocation.
    public static func stripHopByHop(_ headers: inout HTTPHeaders) {
        var found = false
        var connectionTokens: [Substring] = []
        for (name, value) in headers where Self.isHopByHop(name) {
            found = true
            if name.utf8.count == 10, name.lowercased() == "connection" {
                for token in value.split(separator: ",") {
                    let trimmed = token.trimmingSpaces()
                    if !trimmed.isEmpty { connectionTokens.append(trimmed) }
                }
            }
        }
        guard found else { return }
        for name in Self.hopByHopFields { headers.remove(name: name) }
        for token in connectionTokens { headers.remove(name: String(token)) }
    }

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
    public static func prepareRequest(_ headers: inout HTTPHeaders, version: HTTPVersion, forwarding: ForwardingContext) {
        self.stripHopByHop(&headers)
        headers.remove(name: "expect")
        let clientHost = headers.first(name: "host")

        let incomingFor = forwarding.peerIsTrusted ? headers.joinedValues(name: "x-forwarded-for") : nil
        headers.replaceOrAdd(
            name: "X-Forwarded-For",
            value: incomingFor.map { "\($0), \(forwarding.peerAddress)" } ?? forwarding.peerAddress
        )
        if !(forwarding.peerIsTrusted && headers.contains(name: "x-forwarded-proto")) {
            headers.replaceOrAdd(name: "X-Forwarded-Proto", value: forwarding.scheme)
        }
        if !(forwarding.peerIsTrusted && headers.contains(name: "x-forwarded-host")) {
            if let clientHost {
                headers.replaceOrAdd(name: "X-Forwarded-Host", value: clientHost)
            } else {
                headers.remove(name: "x-forwarded-host")
            }
        }
        if forwarding.addForwarded {
            var element = "for=\(Self.forwardedNode(forwarding.peerAddress));proto=\(forwarding.scheme)"
            if let clientHost { element += ";host=\(Self.quotedIfNeeded(clientHost))" }
            let incoming = forwarding.peerIsTrusted ? headers.joinedValues(name: "forwarded") : nil
            headers.replaceOrAdd(name: "Forwarded", value: incoming.map { "\($0), \(element)" } ?? element)
        } else if !forwarding.peerIsTrusted {
            headers.remove(name: "forwarded")
        }
        if let pseudonym = forwarding.viaPseudonym {
            Self.appendVia(&headers, version: version, pseudonym: pseudonym)
        }
        if let host = forwarding.upstreamHost {
            headers.replaceOrAdd(name: "Host", value: host)
        }
    }

    /// Rewrites an origin response's fields for the client: strips hop-by-hop fields, removes the
    /// configured revealing fields (`Server`, `X-Powered-By` by default) and appends `Via`.
    public static func prepareResponse(
        _ headers: inout HTTPHeaders,
        version: HTTPVersion,
        hide: [String],
        viaPseudonym: String?
    ) {
        self.stripHopByHop(&headers)
        for name in hide where headers.contains(name: name) { headers.remove(name: name) }
        if let viaPseudonym { Self.appendVia(&headers, version: version, pseudonym: viaPseudonym) }
    }

    public static func appendVia(_ headers: inout HTTPHeaders, version: HTTPVersion, pseudonym: String) {
        let hop = version.major == 1 && version.minor == 0 ? "1.0 \(pseudonym)" : "1.1 \(pseudonym)"
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

extension Substring {
    /// The substring without leading and trailing spaces and tabs (HTTP OWS).
    public func trimmingSpaces() -> Substring {
        var s = self[...]
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}

extension String {
    /// ASCII case-insensitive equality against a lower-case literal.
    @inlinable
    public func caseInsensitiveEquals(_ lowercaseLiteral: String) -> Bool {
        guard self.utf8.count == lowercaseLiteral.utf8.count else { return false }
        for (a, b) in zip(self.utf8, lowercaseLiteral.utf8) {
            let la = a >= 65 && a <= 90 ? a | 0x20 : a
            if la != b { return false }
        }
        return true
    }
}
