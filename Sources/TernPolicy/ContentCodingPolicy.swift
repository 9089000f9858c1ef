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
    public var mimeTypes: [String] {
        didSet { self.included = self.mimeTypes.compactMap(MediaTypePattern.init) }
    }
    /// Media types never compressed even when ``mimeTypes`` matches (same pattern syntax).
    public var excludedMimeTypes: [String] {
        didSet { self.excluded = self.excludedMimeTypes.compactMap(MediaTypePattern.init) }
    }
    /// Responses whose `Content-Length` is smaller than this are sent as they are: below a few
    /// hundred bytes the coding's framing can make the body larger. Default 256 bytes.
    public var minimumSize: Int
    /// ``mimeTypes`` and ``excludedMimeTypes`` compiled once: this decision runs for every stored
    /// response, and splitting and lower-casing each pattern per response was a fifth of the miss
    /// path's CPU in a profile (issue 18).
    private var included: [MediaTypePattern]
    private var excluded: [MediaTypePattern]

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
        self.included = mimeTypes.compactMap(MediaTypePattern.init)
        self.excluded = excludedMimeTypes.compactMap(MediaTypePattern.init)
    }

    /// Whether Tern should encode this response itself (see the type's rule list).
    ///
    /// One pass over the fields; the common values (`Content-Type: text/html; charset=utf-8`, one
    /// decimal `Content-Length`, no `Content-Encoding`) are read on bytes without allocating. Unusual
    /// values (a `no-transform` somewhere, a `Content-Encoding`, a listed length) take the general
    /// parsers.
    public func shouldCompress(status: Int, responseHeaders: HTTPHeaders, method: HTTPMethod) -> Bool {
        if method == .HEAD { return false }
        if status != 200 { return false }
        var contentType: String?
        var lengthLines = 0
        var simpleLength: Int64?
        var generalLengths = false
        for (name, value) in responseHeaders {
            switch name.utf8.count {
            case 12 where name.caseInsensitiveEquals("content-type"):
                if contentType == nil { contentType = value }
            case 13 where name.caseInsensitiveEquals("cache-control"):
                if MediaTypePattern.mentionsNoTransform(value), Self.hasNoTransform(value) { return false }
            case 13 where name.caseInsensitiveEquals("content-range"):
                return false
            case 14 where name.caseInsensitiveEquals("content-length"):
                lengthLines += 1
                if lengthLines == 1, let length = MediaTypePattern.decimal(value) {
                    simpleLength = length
                } else {
                    generalLengths = true
                }
            case 16 where name.caseInsensitiveEquals("content-encoding"):
                if ContentCoding.applied(responseHeaders) != .identity { return false }
            default:
                break
            }
        }
        guard let contentType, let mediaType = MediaTypePattern.essence(contentType) else { return false }
        if self.excluded.contains(where: { $0.matches(mediaType) }) { return false }
        guard self.included.contains(where: { $0.matches(mediaType) }) else { return false }
        if generalLengths {
            guard let length = Self.contentLength(responseHeaders["content-length"]), length >= Int64(self.minimumSize) else { return false }
        } else if let simpleLength, simpleLength < Int64(self.minimumSize) {
            return false
        }
        return true
    }

    /// Whether a `Cache-Control` value has the `no-transform` directive (a list element, any case).
    static func hasNoTransform(_ value: String) -> Bool {
        for directive in CacheFieldParsing.splitList(Substring(value)) {
            let name = directive.split(separator: "=", maxSplits: 1).first.map { HTTPSyntax.trimOWS($0) } ?? ""
            if CacheFieldParsing.lower(name) == "no-transform" { return true }
        }
        return false
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

/// A media-type pattern (`type/subtype`, `type/*`, `type/*+suffix`, `*/*`) compiled to lower-case
/// bytes, and the byte-level readers ``CompressionPolicy/shouldCompress(status:responseHeaders:method:)``
/// uses on each response.
struct MediaTypePattern: Sendable, Equatable {
    enum Subtype: Sendable, Equatable {
        case any
        case exact([UInt8])
        /// `*+json`: the bytes after `*` (`+json`), matched as the subtype's suffix.
        case suffix([UInt8])
    }

    /// `nil` for `*`.
    var type: [UInt8]?
    var subtype: Subtype

    init?(_ pattern: String) {
        let bytes = Array(pattern.utf8).map { $0 &- 65 < 26 ? $0 | 0x20 : $0 }
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")), !bytes[(slash + 1)...].contains(UInt8(ascii: "/")) else { return nil }
        let type = Array(bytes[..<slash])
        let subtype = Array(bytes[(slash + 1)...])
        self.type = type == [UInt8(ascii: "*")] ? nil : type
        if subtype == [UInt8(ascii: "*")] {
            self.subtype = .any
        } else if subtype.starts(with: [UInt8(ascii: "*"), UInt8(ascii: "+")]) {
            self.subtype = .suffix(Array(subtype.dropFirst()))
        } else {
            self.subtype = .exact(subtype)
        }
    }

    func matches(_ mediaType: (type: [UInt8], subtype: [UInt8])) -> Bool {
        if let type = self.type, type != mediaType.type { return false }
        switch self.subtype {
        case .any: return true
        case .exact(let subtype): return subtype == mediaType.subtype
        case .suffix(let suffix): return mediaType.subtype.count >= suffix.count && mediaType.subtype.suffix(suffix.count).elementsEqual(suffix)
        }
    }

    /// The lower-cased `type` and `subtype` of a `Content-Type` value (parameters and OWS dropped);
    /// `nil` unless both are tokens.
    static func essence(_ value: String) -> (type: [UInt8], subtype: [UInt8])? {
        var type: [UInt8] = []
        var subtype: [UInt8] = []
        var inSubtype = false
        var trailingSpace = false
        var leading = true
        for byte in value.utf8 {
            if byte == UInt8(ascii: ";") { break }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                if leading { continue }
                trailingSpace = true
                continue
            }
            leading = false
            // OWS only before the parameters: a space inside the essence makes it invalid.
            if trailingSpace { return nil }
            if byte == UInt8(ascii: "/"), !inSubtype {
                inSubtype = true
                continue
            }
            guard HTTPSyntax.isTchar(byte) else { return nil }
            let lower = byte &- 65 < 26 ? byte | 0x20 : byte
            if inSubtype { subtype.append(lower) } else { type.append(lower) }
        }
        guard inSubtype, !type.isEmpty, !subtype.isEmpty else { return nil }
        return (type, subtype)
    }

    /// Whether `value` contains `no-transform` in any case (a cheap test before the list parser).
    static func mentionsNoTransform(_ value: String) -> Bool {
        let word = Self.noTransform
        var matched = 0
        for byte in value.utf8 {
            let lower = byte &- 65 < 26 ? byte | 0x20 : byte
            if lower == word[matched] {
                matched += 1
                if matched == word.count { return true }
            } else {
                matched = lower == word[0] ? 1 : 0
            }
        }
        return false
    }

    static let noTransform: [UInt8] = Array("no-transform".utf8)

    /// A plain `1*DIGIT` value (no list, no OWS), or `nil`.
    static func decimal(_ value: String) -> Int64? {
        guard !value.isEmpty, value.utf8.count <= 18 else { return nil }
        var result: Int64 = 0
        for byte in value.utf8 {
            guard byte &- UInt8(ascii: "0") < 10 else { return nil }
            result = result * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return result
    }
}
