/// The parts of a request target a proxy routes on (RFC 9112 §3.2).
///
/// Accepts origin-form (`/path?query`) and absolute-form (`http://host:port/path?query`);
/// `asterisk-form` (`*`, for `OPTIONS`) maps to the path `*`. Anything else is invalid.
public struct RequestTarget: Sendable, Equatable {
    /// The path, still percent-encoded, never empty for origin-form.
    public var path: String
    /// The query without `?`, or `nil`.
    public var query: String?
    /// The authority from an absolute-form target (it overrides `Host`, RFC 9112 §3.2.2).
    public var host: String?

    /// A target from its parts, taken as given.
    public init(path: String, query: String?, host: String?) {
        self.path = path
        self.query = query
        self.host = host
    }

    public init?(uri: String) {
        // Origin-form, the common case, on UTF-8 bytes (Character operations on `Substring` cost
        // grapheme breaking: ~3k instructions a request in a profile).
        let utf8 = uri.utf8
        if utf8.first == UInt8(ascii: "/") {
            guard utf8.allSatisfy(Self.isAllowedTargetByte) else { return nil }
            self.host = nil
            if let q = utf8.firstIndex(of: UInt8(ascii: "?")) {
                self.path = String(uri[..<q])
                self.query = String(uri[uri.utf8.index(after: q)...])
            } else {
                self.path = uri
                self.query = nil
            }
            return
        }
        var rest = Substring(uri)
        if rest.first == "/" {
            self.host = nil
        } else if rest == "*" {
            self.path = "*"
            self.query = nil
            self.host = nil
            return
        } else if let colon = rest.firstIndex(of: ":"),
                  ["http", "https"].contains(rest[..<colon].lowercased()),
                  rest[colon...].hasPrefix("://") {
            rest = rest[rest.index(colon, offsetBy: 3)...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            guard !authority.isEmpty, !authority.contains("@") else { return nil }
            self.host = String(authority)
            rest = rest[authorityEnd...]
            if rest.isEmpty || rest.first == "?" { rest = "/" + rest }
        } else {
            return nil
        }
        // Only RFC 3986 characters may appear (no fragment, spaces, controls, non-ASCII or
        // `" < > \ ^ ` { | }`): such a target could not be forwarded faithfully.
        guard rest.utf8.allSatisfy(Self.isAllowedTargetByte) else { return nil }
        if let q = rest.firstIndex(of: "?") {
            self.path = String(rest[..<q])
            self.query = String(rest[rest.index(after: q)...])
        } else {
            self.path = String(rest)
            self.query = nil
        }
    }

    /// Whether `uri` is a CONNECT authority-form target (RFC 9112 §3.2.3): `host:port`, with a
    /// reg-name, IPv4 or bracketed IPv6 host and a decimal port of at most five digits.
    public static func isAuthorityForm(_ uri: String) -> Bool {
        guard let colon = uri.utf8.lastIndex(of: UInt8(ascii: ":")) else { return false }
        let host = uri.utf8[..<colon]
        let port = uri.utf8[uri.utf8.index(after: colon)...]
        guard !host.isEmpty, (1...5).contains(port.count), port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        if host.first == UInt8(ascii: "[") {
            guard host.last == UInt8(ascii: "]"), host.count > 2 else { return false }
            return host.dropFirst().dropLast().allSatisfy { byte in
                byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".") || (byte >= 0x30 && byte <= 0x39)
                    || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
            }
        }
        // reg-name: unreserved, sub-delims and pct-encoded (no ":", "/", "?", "@" or "[]").
        return host.allSatisfy { byte in
            Self.isAllowedTargetByte(byte) && ![UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "@"),
                                                UInt8(ascii: "["), UInt8(ascii: "]")].contains(byte)
        }
    }

    /// RFC 3986 unreserved, gen-delims except `#`, sub-delims and `%`.
    @inline(__always)
    static func isAllowedTargetByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
            UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "@"),
            UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }
}
