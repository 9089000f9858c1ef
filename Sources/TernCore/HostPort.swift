/// A host and port to listen on or connect to: `127.0.0.1:8080`, `[::1]:8080`, `localhost:80`.
///
/// The host is stored without brackets; IP literals are stored in canonical form and host names
/// lower-cased, so equal endpoints compare equal.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// An IP literal (canonical, without brackets) or a lower-cased DNS name.
    public var host: String
    /// The TCP port, 0...65535 (0 asks the system for any free port).
    public var port: Int

    /// Creates a host/port pair as given.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, where host is a DNS name, a dotted quad or a bracketed IPv6 literal.
    /// The port is required and must be 0...65535.
    public static func parse(_ text: String) -> HostPort? {
        let scalars = Array(text.unicodeScalars)
        guard let (host, portText) = splitHostPort(scalars[...]), let portText,
            let port = parsePort(portText)
        else { return nil }
        return HostPort(host: host, port: port)
    }

    /// `host:port` with IPv6 hosts in brackets.
    public var description: String {
        "\(bracketedHost(self.host)):\(self.port)"
    }
}

/// Wraps an IPv6 literal in brackets for use in an authority (RFC 3986 §3.2.2).
func bracketedHost(_ host: String) -> String {
    host.contains(":") ? "[\(host)]" : host
}

/// Splits `host[:port]` into a validated, normalized host and the port text (nil when absent).
func splitHostPort(_ scalars: ArraySlice<Unicode.Scalar>) -> (String, ArraySlice<Unicode.Scalar>?)? {
    guard let first = scalars.first else { return nil }
    if first == "[" {
        guard let close = scalars.firstIndex(of: "]") else { return nil }
        guard let address = IPAddress(String(String.UnicodeScalarView(scalars[(scalars.startIndex + 1)..<close]))),
            !address.isIPv4
        else { return nil }
        let rest = scalars[(close + 1)...]
        if rest.isEmpty { return (address.description, nil) }
        guard rest.first == ":" else { return nil }
        return (address.description, rest.dropFirst())
    }
    var hostPart = scalars
    var portPart: ArraySlice<Unicode.Scalar>?
    if let colon = scalars.firstIndex(of: ":") {
        // An unbracketed IPv6 literal is ambiguous with a port and is rejected.
        guard scalars[(colon + 1)...].firstIndex(of: ":") == nil else { return nil }
        hostPart = scalars[..<colon]
        portPart = scalars[(colon + 1)...]
    }
    guard let host = normalizedHostName(String(String.UnicodeScalarView(hostPart))) else { return nil }
    return (host, portPart)
}

/// Parses a decimal port 0...65535 (1–5 digits).
func parsePort(_ scalars: ArraySlice<Unicode.Scalar>) -> Int? {
    guard !scalars.isEmpty, scalars.count <= 5 else { return nil }
    var value = 0
    for scalar in scalars {
        guard let digit = asciiDigit(scalar) else { return nil }
        value = value * 10 + digit
    }
    return value <= 65535 ? value : nil
}

/// Validates a DNS name or dotted quad and returns it lower-cased (RFC 1123 §2.1 labels;
/// `_` is tolerated as many internal names use it). Names whose labels are all numeric must be valid IPv4.
func normalizedHostName(_ text: String) -> String? {
    guard !text.isEmpty, text.utf8.count <= 253 else { return nil }
    var name = text.lowercased()
    if name.hasSuffix(".") { name.removeLast() }
    let labels = name.split(separator: ".", omittingEmptySubsequences: false)
    var allNumeric = true
    for label in labels {
        guard !label.isEmpty, label.utf8.count <= 63, !label.hasPrefix("-"), !label.hasSuffix("-") else {
            return nil
        }
        for byte in label.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "_"): allNumeric = false
            case UInt8(ascii: "0")...UInt8(ascii: "9"): break
            default: return nil
            }
        }
    }
    if allNumeric {
        guard let address = IPAddress(name), address.isIPv4 else { return nil }
        return address.description
    }
    return name
}
