import NIOCore
import TernCore

/// The request line and header fields of a request Tern's HTTP parser refused (an unknown method,
/// `HTTP/3.0`, raw `<>"{}` in the target…), read leniently from the raw bytes so the WAF can still
/// judge and log it (Docs/security.md, "Refused requests"). The client gets the parser's `400`
/// regardless; this only feeds the audit log.
///
/// Lenient on purpose: the first line splits on spaces and tabs (method, target, version; a target
/// with spaces keeps them), every later line up to the first empty one with a colon is a field.
/// Nothing here is ever forwarded.
public struct RefusedRequestHead: Sendable {
    public var method: String
    public var uri: String
    /// The version token as sent (`HTTP/3.0`, `HTTP\1.0`), or empty when the line has none.
    public var version: String
    public var headers: [(String, String)]

    /// `nil` when the bytes hold no plausible request line (fewer than two tokens, or binary noise).
    public init?(raw: ByteBuffer, maxHeaders: Int = 100, maxBytes: Int = 64 * 1024) {
        let bytes = raw.readableBytesView.prefix(maxBytes)
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex, lines.count <= maxHeaders {
            if bytes[index] == UInt8(ascii: "\n") {
                var end = index
                if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let line = Array(bytes[start..<end])[...]
                if line.isEmpty, !lines.isEmpty { break }  // end of the header section
                if !line.isEmpty { lines.append(line) }
                start = index + 1
            }
            index += 1
        }
        if start < bytes.endIndex, lines.count <= maxHeaders, index == bytes.endIndex {
            lines.append(Array(bytes[start..<bytes.endIndex])[...])  // a last line without its newline
        }
        guard let first = lines.first else { return nil }
        let tokens = first.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") })
        guard tokens.count >= 2, tokens[0].allSatisfy(HTTPSyntax.isTchar) else { return nil }
        self.method = String(decoding: tokens[0], as: UTF8.self)
        if tokens.count >= 3, let last = tokens.last, last.starts(with: "HTTP".utf8) {
            self.version = String(decoding: last, as: UTF8.self)
            // The target is everything between method and version, inner spaces included.
            let from = tokens[1].startIndex
            let to = tokens[tokens.count - 2].endIndex
            self.uri = String(decoding: first[from..<to], as: UTF8.self)
        } else {
            self.version = ""
            self.uri = String(decoding: first[tokens[1].startIndex..<first.endIndex], as: UTF8.self)
        }
        var headers: [(String, String)] = []
        for line in lines.dropFirst().prefix(maxHeaders) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { continue }
            if line.first == UInt8(ascii: " ") || line.first == UInt8(ascii: "\t") { continue }  // obs-fold
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            headers.append((name, String(HTTPSyntax.trimOWS(Substring(value)))))
        }
        self.headers = headers
    }
}
