/// The URL of an upstream HTTP origin: `http://127.0.0.1:9000`, `http://example.com`, `http://[::1]:9000/base`.
///
/// Only `http` is accepted for now (`https` returns `nil` until TLS to origins exists). User info,
/// query and fragment are rejected: they have no meaning for an origin (RFC 3986 §3).
public struct OriginURL: Sendable, Hashable, CustomStringConvertible {
    /// The scheme, lower-cased; always `"http"` for now.
    public var scheme: String
    /// An IP literal (canonical, without brackets) or a lower-cased DNS name.
    public var host: String
    /// The TCP port; 80 when the URL has none.
    public var port: Int
    /// A path prefix added in front of every forwarded request path: `""` or `"/prefix"` (no trailing slash).
    public var basePath: String

    /// Creates an origin URL from its parts as given.
    public init(scheme: String = "http", host: String, port: Int, basePath: String = "") {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
    }

    /// The default port of the scheme.
    public var defaultPort: Int { 80 }

    /// `host[:port]` as sent in a `Host` header (RFC 9110 §7.2): the port is omitted when it is the default.
    public var authority: String {
        self.port == self.defaultPort ? bracketedHost(self.host) : "\(bracketedHost(self.host)):\(self.port)"
    }

    /// The address to connect to.
    public var hostPort: HostPort {
        HostPort(host: self.host, port: self.port)
    }

    /// Parses `http://host[:port][/base/path]`; `nil` for other schemes, user info, query, fragment or bad hosts.
    public static func parse(_ text: String) -> OriginURL? {
        let scalars = Array(text.unicodeScalars)
        guard let colon = scalars.firstIndex(of: ":"), colon + 2 < scalars.count,
            scalars[colon + 1] == "/", scalars[colon + 2] == "/"
        else { return nil }
        let scheme = String(String.UnicodeScalarView(scalars[..<colon])).lowercased()
        guard scheme == "http" else { return nil }
        let rest = scalars[(colon + 3)...]
        for scalar in rest {
            // No query, fragment, user info, whitespace, controls or non-ASCII.
            if scalar == "?" || scalar == "#" || scalar == "@" || scalar == "\\" || scalar.value <= 0x20
                || scalar.value >= 0x7F
            {
                return nil
            }
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[rest.startIndex..<slash]
        guard let (host, portText) = splitHostPort(authority) else { return nil }
        var port = 80
        if let portText {
            guard let parsed = parsePort(portText), parsed > 0 else { return nil }
            port = parsed
        }
        var path = String(String.UnicodeScalarView(rest[slash...]))
        while path.hasSuffix("/") { path.removeLast() }
        guard !path.contains("//"), isValidPercentEncoding(path) else { return nil }
        return OriginURL(scheme: scheme, host: host, port: port, basePath: path)
    }

    /// `http://authority/base`, with the port omitted when it is the default.
    public var description: String {
        "\(self.scheme)://\(self.authority)\(self.basePath)"
    }
}

/// Whether every `%` in `text` starts a two-digit hex escape (RFC 3986 §2.1).
func isValidPercentEncoding(_ text: String) -> Bool {
    let scalars = Array(text.unicodeScalars)
    var index = 0
    while index < scalars.count {
        if scalars[index] == "%" {
            guard index + 2 < scalars.count, asciiHexDigit(scalars[index + 1]) != nil,
                asciiHexDigit(scalars[index + 2]) != nil
            else { return false }
            index += 3
        } else {
            index += 1
        }
    }
    return true
}
