/// The path of a request target, decoded and checked for use under a ``FileOrigin`` root.
///
/// Safety rules (see `Docs/file-origin.md`):
/// - only origin-form (`/…`) and absolute-form (`http://host/…`) targets; the query and any
///   fragment are split off before decoding;
/// - percent-decoding must be well formed (`%` + two hex digits), must not produce NUL, and the
///   result must be valid UTF-8, else 400;
/// - decoding happens once, before splitting on `/`, so `%2F` separates segments like `/`;
/// - empty and `.` segments are dropped; a `..` segment is rejected (400), never resolved;
/// - a segment starting with `.` (a hidden file) is refused (404).
struct RequestPath: Sendable, Hashable {
    enum Failure: Error, Sendable, Hashable {
        /// Malformed target: 400.
        case badRequest
        /// Refused without saying why (hidden file): 404.
        case notFound
    }

    /// Decoded segments, none empty, `.`, `..` or starting with `.`.
    var segments: [String]
    /// Whether the decoded path ends with `/` (or is the root).
    var hasTrailingSlash: Bool
    /// The raw query (without `?`), if any.
    var query: Substring?

    static func parse(_ uri: String) -> Result<RequestPath, Failure> {
        var target = Substring(uri)
        if let hash = target.firstIndex(of: "#") { target = target[..<hash] }
        var query: Substring?
        if let question = target.firstIndex(of: "?") {
            query = target[target.index(after: question)...]
            target = target[..<question]
        }
        if !target.hasPrefix("/") {
            // absolute-form: scheme "://" authority path-abempty.
            guard let colon = target.firstIndex(of: ":"),
                target[colon...].hasPrefix("://"),
                !target[..<colon].isEmpty,
                target[..<colon].allSatisfy({ ($0.isASCII && $0.isLetter) || $0 == "+" || $0 == "-" || $0 == "." })
            else { return .failure(.badRequest) }
            let afterAuthority = target[target.index(colon, offsetBy: 3)...]
            target = afterAuthority.firstIndex(of: "/").map { afterAuthority[$0...] } ?? "/"
        }

        var decoded: [UInt8] = []
        decoded.reserveCapacity(target.utf8.count)
        var iterator = target.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(Self.hexValue),
                    let low = iterator.next().flatMap(Self.hexValue)
                else { return .failure(.badRequest) }
                decoded.append(high << 4 | low)
            } else {
                decoded.append(byte)
            }
        }
        guard !decoded.contains(0) else { return .failure(.badRequest) }
        guard let path = String(validating: decoded, as: UTF8.self) else { return .failure(.badRequest) }

        var segments: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { return .failure(.badRequest) }
            if part.hasPrefix(".") { return .failure(.notFound) }
            segments.append(String(part))
        }
        let trailing = path.hasSuffix("/") || segments.isEmpty
        return .success(RequestPath(segments: segments, hasTrailingSlash: trailing, query: query))
    }

    /// The canonical redirect target for this path as a directory: re-encoded segments plus
    /// `/`, then the query. Always a single leading `/`, so it can never become a
    /// protocol-relative (`//host`) URL.
    var directoryLocation: String {
        var out = "/"
        for segment in self.segments {
            out += Self.percentEncode(segment)
            out += "/"
        }
        if let query = self.query {
            out += "?"
            out += Self.sanitizeQuery(query)
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Percent-encodes everything but RFC 3986 `pchar` minus `%`.
    static func percentEncode(_ segment: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(segment.utf8.count)
        for byte in segment.utf8 {
            if Self.isPChar(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Keeps the query as sent, escaping only bytes that may not appear in a field value.
    private static func sanitizeQuery(_ query: Substring) -> String {
        var out: [UInt8] = []
        for byte in query.utf8 {
            if byte > 0x20 && byte < 0x7F {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isPChar(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
            UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"):
            return true
        default:
            return false
        }
    }
}
