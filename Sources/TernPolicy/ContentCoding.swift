import NIOHTTP1
import TernCore

/// A content coding Tern can produce or remove (RFC 9110 §8.4.1; IANA HTTP Content Coding Registry).
///
/// The raw value is the registered token as Tern sends it in `Content-Encoding`. `x-gzip`
/// (RFC 9110 §8.4.1.3) is read as ``gzip`` but never sent. Codings Tern does not implement
/// (`deflate`, `compress`, `zstd`, …) have no case: a response carrying one is passed through
/// untouched and never re-encoded.
public enum ContentCoding: String, Sendable, CaseIterable {
    /// No transformation (RFC 9110 §12.5.3); never sent in `Content-Encoding`.
    case identity
    /// gzip file format, RFC 1952 (RFC 9110 §8.4.1.3).
    case gzip
    /// Brotli compressed data format, RFC 7932 (registered by RFC 7932 §13).
    case br

    /// The coding for one `Content-Encoding` / `Accept-Encoding` token, matched
    /// case-insensitively (RFC 9110 §8.4.1); `x-gzip` is ``gzip``; `nil` for anything else.
    public init?(token: Substring) {
        switch CacheFieldParsing.lower(HTTPSyntax.trimOWS(token)) {
        case "identity": self = .identity
        case "gzip", "x-gzip": self = .gzip
        case "br": self = .br
        default: return nil
        }
    }

    /// The coding applied to a response according to its `Content-Encoding` field
    /// (RFC 9110 §8.4): ``identity`` when the field is absent or lists only `identity`; the
    /// single coding when exactly one known coding was applied; `nil` when several codings
    /// were stacked or one is unknown (such a body is passed through as opaque bytes).
    public static func applied(_ responseHeaders: HTTPHeaders) -> ContentCoding? {
        var found: ContentCoding = .identity
        for element in CacheFieldParsing.listElements(responseHeaders, "content-encoding") {
            guard let coding = ContentCoding(token: element) else { return nil }
            if coding == .identity { continue }
            if found != .identity { return nil }
            found = coding
        }
        return found
    }
}
