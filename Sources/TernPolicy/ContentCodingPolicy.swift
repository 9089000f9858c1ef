import NIOHTTP1
import TernCore

/// Which responses Tern compresses itself, and how encoded variants are validated
/// (RFC 9110 §8.4 `Content-Encoding`, §8.8.3 `ETag`; RFC 9111 §5.2.2.6 / §5.2.1.6 `no-transform`).
///
/// The default policy, top to bottom (first match says no):
/// 1. `HEAD` requests: no body to compress.
/// 2. Status other than 200: 206 bodies are byte ranges of the identity representation,
///    and errors/redirects are small or uncached.
/// 3. `Cache-Control: no-transform` on the response (RFC 9111 §5.2.2.6, RFC 9110 §7.7).
/// 4. `Content-Encoding` other than `identity`: already encoded, never encoded twice.
/// 5. `Content-Range` present: a range, whatever the status says.
/// 6. `Content-Type` missing, excluded (`text/event-stream`: streaming events must not wait in
///    an encoder's buffer) or not in ``mimeTypes`` (images, video, archives, woff/woff2 are
///    already compressed).
/// 7. `Content-Length` below ``minimumSize`` (or unparsable). An absent length (chunked) passes.
public struct CompressionPolicy: Sendable, Equatable {
    /// Media types worth compressing: `type/subtype`, `type/*`, `type/*+suffix` or `*/*`,
    /// matched case-insensitively against the `Content-Type` without its parameters.
    public var mimeTypes: [String]
    /// Media types never compressed even when ``mimeTypes`` matches (same pattern syntax).
    public var excludedMimeTypes: [String]
    /// Responses whose `Content-Length` is smaller than this are sent as they are: below a few
    /// hundred bytes the coding's framing can make the body larger. Default 256 bytes.
    public var minimumSize: Int

    /// Text, scripts, JSON/XML and their structured-syntax suffixes, SVG, WebAssembly and
    /// uncompressed font formats. Not woff/woff2, raster images, audio/video or archives.
    public static let defaultMimeTypes: [String] = [
        "text/*",
        "application/javascript",
        "application/x-javascript",
        "text/javascript",
        "application/json",
        "application/*+json",
        "application/xml",
        "application/*+xml",
        "image/svg+xml",
        "application/wasm",
        "font/ttf",
        "font/otf",
        "font/collection",
        "application/vnd.ms-fontobject",
        "application/x-font-ttf",
        "application/x-font-otf",
        "application/x-font-opentype",
    ]

    /// `text/event-stream` (server-sent events are read as they arrive).
    public static let defaultExcludedMimeTypes: [String] = ["text/event-stream"]

    public init(
        mimeTypes: [String] = CompressionPolicy.defaultMimeTypes,
        excludedMimeTypes: [String] = CompressionPolicy.defaultExcludedMimeTypes,
        minimumSize: Int = 256
    ) {
        self.mimeTypes = mimeTypes
        self.excludedMimeTypes = excludedMimeTypes
        self.minimumSize = minimumSize
    }

    /// Whether Tern should encode this response itself (see the type's rule list).
    public func shouldCompress(status: Int, responseHeaders: HTTPHeaders, method: HTTPMethod) -> Bool {
        if method == .HEAD { return false }
        if status != 200 { return false }
        for directive in CacheFieldParsing.listElements(responseHeaders, "cache-control") {
            let name = directive.split(separator: "=", maxSplits: 1).first.map { HTTPSyntax.trimOWS($0) } ?? ""
            if CacheFieldParsing.lower(name) == "no-transform" { return false }
        }
        if ContentCoding.applied(responseHeaders) != .identity { return false }
        if responseHeaders.contains(name: "content-range") { return false }
        guard let mediaType = Self.mediaType(responseHeaders) else { return false }
        if self.excludedMimeTypes.contains(where: { Self.matches(pattern: $0, mediaType: mediaType) }) { return false }
        guard self.mimeTypes.contains(where: { Self.matches(pattern: $0, mediaType: mediaType) }) else { return false }
        let lengths = responseHeaders["content-length"]
        if !lengths.isEmpty {
            guard let length = Self.contentLength(lengths), length >= Int64(self.minimumSize) else { return false }
        }
        return true
    }

    /// The lower-cased `type/subtype` of the first `Content-Type` line, without parameters.
    static func mediaType(_ headers: HTTPHeaders) -> (type: Substring, subtype: Substring)? {
        guard let value = headers.first(name: "content-type") else { return nil }
        let essence = HTTPSyntax.trimOWS(value.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        let parts = CacheFieldParsing.lower(essence).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, HTTPSyntax.isToken(parts[0]), HTTPSyntax.isToken(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    /// `type/subtype`, `type/*`, `type/*+suffix` or `*/*` against a lower-cased media type.
    static func matches(pattern: String, mediaType: (type: Substring, subtype: Substring)) -> Bool {
        let parts = CacheFieldParsing.lower(Substring(pattern)).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let (type, subtype) = (parts[0], parts[1])
        if type != "*" && type != mediaType.type { return false }
        if subtype == "*" { return true }
        if subtype.hasPrefix("*+") { return mediaType.subtype.hasSuffix(subtype.dropFirst()) }
        return subtype == mediaType.subtype
    }

    /// All `Content-Length` lines must agree on one `1*DIGIT` value (RFC 9110 §8.6).
    static func contentLength(_ lines: [String]) -> Int64? {
        var value: Int64?
        for line in lines {
            for element in CacheFieldParsing.splitList(Substring(line)) {
                guard let parsed = CacheFieldParsing.deltaSeconds(element), value == nil || value == parsed else { return nil }
                value = parsed
            }
        }
        return value
    }

    /// The validator for an encoded variant (RFC 9110 §8.8.3): a coding suffix inside the quotes,
    /// `"abc"` → `"abc-br"`, `W/"abc"` → `W/"abc-br"`. Identity and `nil` are returned unchanged.
    ///
    /// A strong ETag names exact bytes (§8.8.1), so the gzip and br variants must not share the
    /// identity's; a weak one keeps its weakness. A malformed ETag yields `nil`: the variant is
    /// sent without a validator rather than with one that could collide.
    public static func variantETag(_ etag: String?, coding: ContentCoding) -> String? {
        guard let etag else { return nil }
        if coding == .identity { return etag }
        guard var tag = EntityTag(parsing: etag) else { return nil }
        tag.opaque += "-" + coding.rawValue
        return tag.headerValue
    }

    /// Undoes ``variantETag(_:coding:)`` for one tag: `"abc-br"` → (`"abc"`, `.br`); a tag without a
    /// coding suffix → (tag, `.identity`). For forwarding a client's `If-None-Match` upstream.
    public static func baseETag(_ tag: EntityTag) -> (tag: EntityTag, coding: ContentCoding) {
        for coding in [ContentCoding.br, .gzip] {
            let suffix = "-" + coding.rawValue
            if tag.opaque.hasSuffix(suffix) {
                return (EntityTag(opaque: String(tag.opaque.dropLast(suffix.count)), isWeak: tag.isWeak), coding)
            }
        }
        return (tag, .identity)
    }
}
