import NIOHTTP1
import TernCore

/// Parsed `Cache-Control` directives (RFC 9111 §5.2), or those of a targeted field such as
/// `CDN-Cache-Control` (RFC 9213).
///
/// Parsing rules for `Cache-Control` (lenient, as RFC 9111 §5.2 asks of recipients):
/// - All field lines are combined into one list (RFC 9110 §5.3); commas inside quoted strings
///   do not split (`extension="max-age=100"` is one unknown directive).
/// - Directive names are case-insensitive (`MAX-AGE=60` is `max-age`); a name that is not a
///   `token` (e.g. `max-age =60`, with a space) makes the element an ignored unknown.
/// - Arguments may be tokens or quoted strings (`max-age="60"` is 60, §5.2).
/// - Duplicates: the first occurrence wins (§4.2.1), except `no-cache` and `private`, whose
///   occurrences combine (the most restrictive reading, §4.2.1).
/// - delta-seconds (§1.2.2): larger than 2147483648 clamps to 2147483648. An invalid
///   `max-age` / `s-maxage` (`max-age=abc`, `max-age=1.5`, `max-age='60'`, `max-age`) counts
///   as `0`, which makes the response stale (§4.2.1: "consider… invalid freshness information…
///   to be stale"). Invalid `min-fresh`, `max-stale=N`, `stale-while-revalidate`,
///   `stale-if-error` are ignored (`nil`): ignoring them never serves more stale content.
///
/// Targeted fields (any `field` other than `cache-control`) are RFC 8941 Dictionaries
/// (RFC 9213 §2.1): a value that does not parse as one, or whose numeric directives are not
/// non-negative Integers (`max-age="60"`), is ignored as a whole (``isEmpty`` is then `true`).
/// Upper-case keys are accepted and lower-cased. `no-store=?0` means absent. Duplicate keys:
/// the last wins (RFC 8941 §4.2.2).
public struct CacheControl: Sendable, Equatable {
    /// The argument of `max-stale` (RFC 9111 §5.2.1.2).
    public enum MaxStale: Sendable, Equatable {
        /// `max-stale` without a value: any staleness is acceptable.
        case any
        /// `max-stale=N`: stale by at most N seconds.
        case seconds(Int64)
    }

    /// A directive this type has no property for, kept for extensions (RFC 9111 §5.2.3).
    public struct Directive: Sendable, Equatable {
        /// Lower-cased directive name.
        public var name: String
        /// The argument (quoted strings decoded), or `nil` when there was none.
        public var value: String?

        public init(name: String, value: String? = nil) {
            self.name = name
            self.value = value
        }
    }

    /// `max-age` (§5.2.1.1 request, §5.2.2.1 response), seconds.
    public var maxAge: Int64?
    /// `s-maxage` (§5.2.2.10), seconds.
    public var sMaxAge: Int64?
    /// `max-stale` (§5.2.1.2, request).
    public var maxStale: MaxStale?
    /// `min-fresh` (§5.2.1.3, request), seconds.
    public var minFresh: Int64?
    /// Unqualified `no-cache` (§5.2.1.4, §5.2.2.4): reuse only after validation.
    /// The qualified form (`no-cache="Set-Cookie"`) sets ``noCacheFields`` only.
    public var noCache: Bool = false
    /// Field names of the qualified `no-cache="a, b"` form (§5.2.2.4), lower-cased.
    public var noCacheFields: [String] = []
    /// `no-store` (§5.2.1.5, §5.2.2.5).
    public var noStore: Bool = false
    /// `no-transform` (§5.2.1.6, §5.2.2.6).
    public var noTransform: Bool = false
    /// `only-if-cached` (§5.2.1.7, request).
    public var onlyIfCached: Bool = false
    /// `must-revalidate` (§5.2.2.2).
    public var mustRevalidate: Bool = false
    /// `proxy-revalidate` (§5.2.2.8).
    public var proxyRevalidate: Bool = false
    /// `must-understand` (§5.2.2.3).
    public var mustUnderstand: Bool = false
    /// Unqualified `private` (§5.2.2.7): a shared cache must not store the response.
    /// The qualified form (`private="Set-Cookie"`) sets ``privateFields`` only.
    public var isPrivate: Bool = false
    /// Field names of the qualified `private="a, b"` form (§5.2.2.7), lower-cased.
    public var privateFields: [String] = []
    /// `public` (§5.2.2.9).
    public var isPublic: Bool = false
    /// `immutable` (RFC 8246 §2).
    public var immutable: Bool = false
    /// `stale-while-revalidate` (RFC 5861 §3), seconds.
    public var staleWhileRevalidate: Int64?
    /// `stale-if-error` (RFC 5861 §4), seconds; also a request directive.
    public var staleIfError: Int64?
    /// Directives without a property here, in order of first appearance.
    public var extensions: [Directive] = []

    /// No directives at all.
    public init() {}

    /// Parses every field line of `field` in `headers` (RFC 9111 §5.2; RFC 9213 for targeted
    /// fields such as `cdn-cache-control`).
    public init(_ headers: HTTPHeaders, field: String = "cache-control") {
        let lines = headers[field]
        guard !lines.isEmpty else {
            self.init()
            return
        }
        let combined = lines.count == 1 ? lines[0] : lines.joined(separator: ", ")
        self.init(fieldValue: combined, structured: !field.caseInsensitiveEquals("cache-control"))
    }

    /// Parses one (combined) field value; `structured` selects the RFC 9213 / RFC 8941
    /// Dictionary rules used for targeted fields.
    public init(fieldValue: String, structured: Bool = false) {
        self.init()
        if structured {
            guard let members = Self.parseDictionary(fieldValue) else { return }
            var parsed = CacheControl()
            for (name, item) in members {
                let value: String?
                switch item {
                case .boolean(true): value = nil
                case .boolean(false): continue
                case .integer(let n):
                    value = String(n)
                case .string(let s), .token(let s): value = s
                case .other: value = "?"
                }
                if Self.numericDirectives.contains(name) {
                    guard case .integer(let n) = item, n >= 0 else { return }  // wrong type: ignore the field
                }
                var seen = SeenNames()
                parsed.apply(name: name, value: value, seen: &seen)
            }
            self = parsed
        } else {
            var seen = SeenNames()
            for element in CacheFieldParsing.splitList(Substring(fieldValue)) {
                let name: Substring
                var value: String?
                // Byte searches: `Character` ones cost grapheme breaking per byte.
                if let eq = element.utf8.firstIndex(of: UInt8(ascii: "=")) {
                    name = element[element.startIndex..<eq]
                    let raw = element[element.utf8.index(after: eq)...]
                    if raw.utf8.first == UInt8(ascii: "\"") {
                        value = CacheFieldParsing.unquote(raw) ?? String(raw)
                    } else {
                        value = String(raw)
                    }
                } else {
                    name = element
                }
                guard HTTPSyntax.isToken(name) else { continue }
                self.apply(name: CacheFieldParsing.lower(name), value: value, seen: &seen)
            }
        }
    }

    /// `true` when no directive (known or unknown) was present.
    public var isEmpty: Bool {
        self == CacheControl()
    }

    // MARK: - Interpretation

    private static let numericDirectives: Set<String> = [
        "max-age", "s-maxage", "min-fresh", "stale-while-revalidate", "stale-if-error",
    ]

    private mutating func apply(name: String, value: String?, seen: inout SeenNames) {
        let delta = value.flatMap { CacheFieldParsing.deltaSeconds(Substring($0)) }
        switch name {
        case "no-cache":
            if let value, case let fields = CacheFieldParsing.fieldNames(value), !fields.isEmpty {
                for f in fields where !self.noCacheFields.contains(f) { self.noCacheFields.append(f) }
            } else {
                self.noCache = true
            }
            return
        case "private":
            if let value, case let fields = CacheFieldParsing.fieldNames(value), !fields.isEmpty {
                for f in fields where !self.privateFields.contains(f) { self.privateFields.append(f) }
            } else {
                self.isPrivate = true
            }
            return
        default:
            break
        }
        guard seen.insert(name) else { return }  // first occurrence wins (§4.2.1)
        switch name {
        case "max-age": self.maxAge = delta ?? 0
        case "s-maxage": self.sMaxAge = delta ?? 0
        case "min-fresh": self.minFresh = delta
        case "max-stale": self.maxStale = value == nil ? .any : delta.map { .seconds($0) }
        case "stale-while-revalidate": self.staleWhileRevalidate = delta
        case "stale-if-error": self.staleIfError = delta
        case "no-store": self.noStore = true
        case "no-transform": self.noTransform = true
        case "only-if-cached": self.onlyIfCached = true
        case "must-revalidate": self.mustRevalidate = true
        case "proxy-revalidate": self.proxyRevalidate = true
        case "must-understand": self.mustUnderstand = true
        case "public": self.isPublic = true
        case "immutable": self.immutable = true
        default: self.extensions.append(Directive(name: name, value: value))
        }
    }

    // MARK: - RFC 8941 Dictionary (targeted fields)

    private enum Item: Equatable {
        case boolean(Bool)
        case integer(Int64)
        case string(String)
        case token(String)
        case other
    }

    /// Parses an RFC 8941 §4.2.2 Dictionary; parameters are parsed and dropped. `nil` on any
    /// syntax error. Later duplicates replace earlier ones.
    private static func parseDictionary(_ input: String) -> [(String, Item)]? {
        var p = SFParser(bytes: Array(input.utf8))
        p.skip(spacesOnly: true)
        var members: [(String, Item)] = []
        if p.atEnd { return members }
        while true {
            guard let key = p.key() else { return nil }
            var item = Item.boolean(true)
            if p.consume(UInt8(ascii: "=")) {
                guard let parsed = p.bareItem() else { return nil }
                item = parsed
            }
            while p.consume(UInt8(ascii: ";")) {
                p.skip(spacesOnly: true)
                guard p.key() != nil else { return nil }
                if p.consume(UInt8(ascii: "=")) {
                    guard p.bareItem() != nil else { return nil }
                }
            }
            if let index = members.firstIndex(where: { $0.0 == key }) {
                members[index].1 = item
            } else {
                members.append((key, item))
            }
            p.skip(spacesOnly: false)
            if p.atEnd { return members }
            guard p.consume(UInt8(ascii: ",")) else { return nil }
            p.skip(spacesOnly: false)
            if p.atEnd { return nil }  // trailing comma
        }
    }

    private struct SFParser {
        var bytes: [UInt8]
        var i = 0

        var atEnd: Bool { self.i >= self.bytes.count }
        var peek: UInt8? { self.atEnd ? nil : self.bytes[self.i] }

        mutating func consume(_ b: UInt8) -> Bool {
            guard self.peek == b else { return false }
            self.i += 1
            return true
        }

        mutating func skip(spacesOnly: Bool) {
            while let b = self.peek, b == 0x20 || (!spacesOnly && b == 0x09) { self.i += 1 }
        }

        /// `key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`, upper case
        /// accepted and lower-cased.
        mutating func key() -> String? {
            guard let first = self.peek.map(Self.lowered), (first >= 0x61 && first <= 0x7A) || first == 0x2A else { return nil }
            var out: [UInt8] = []
            while let b = self.peek.map(Self.lowered),
                (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x2A
            {
                out.append(b)
                self.i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func bareItem() -> Item? {
            guard let b = self.peek else { return nil }
            switch b {
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return self.number()
            case UInt8(ascii: "\""):
                return self.string()
            case UInt8(ascii: "?"):
                self.i += 1
                if self.consume(UInt8(ascii: "1")) { return .boolean(true) }
                if self.consume(UInt8(ascii: "0")) { return .boolean(false) }
                return nil
            case UInt8(ascii: ":"):
                self.i += 1
                while let c = self.peek, c != UInt8(ascii: ":") {
                    guard Self.isBase64(c) else { return nil }
                    self.i += 1
                }
                return self.consume(UInt8(ascii: ":")) ? .other : nil
            case UInt8(ascii: "*"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                let start = self.i
                self.i += 1
                while let c = self.peek, HTTPSyntax.isTchar(c) || c == UInt8(ascii: ":") || c == UInt8(ascii: "/") {
                    self.i += 1
                }
                return .token(String(decoding: self.bytes[start..<self.i], as: UTF8.self))
            default:
                return nil
            }
        }

        private mutating func number() -> Item? {
            let negative = self.consume(UInt8(ascii: "-"))
            var integer: Int64 = 0
            var digits = 0
            while let c = self.peek, c >= 0x30, c <= 0x39 {
                digits += 1
                guard digits <= 15 else { return nil }
                integer = integer * 10 + Int64(c - 0x30)
                self.i += 1
            }
            guard digits > 0 else { return nil }
            if self.consume(UInt8(ascii: ".")) {
                guard digits <= 12 else { return nil }
                var fraction = 0
                while let c = self.peek, c >= 0x30, c <= 0x39 {
                    fraction += 1
                    self.i += 1
                }
                guard fraction >= 1, fraction <= 3 else { return nil }
                return .other
            }
            return .integer(negative ? -integer : integer)
        }

        private mutating func string() -> Item? {
            self.i += 1
            var out: [UInt8] = []
            while let c = self.peek {
                self.i += 1
                if c == UInt8(ascii: "\\") {
                    guard let n = self.peek, n == UInt8(ascii: "\"") || n == UInt8(ascii: "\\") else { return nil }
                    out.append(n)
                    self.i += 1
                } else if c == UInt8(ascii: "\"") {
                    return .string(String(decoding: out, as: UTF8.self))
                } else if c < 0x20 || c > 0x7E {
                    return nil
                } else {
                    out.append(c)
                }
            }
            return nil
        }

        private static func lowered(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }

        private static func isBase64(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39)
                || c == UInt8(ascii: "+") || c == UInt8(ascii: "/") || c == UInt8(ascii: "=")
        }
    }
}

/// The directive names seen so far in one field. A field holds a handful: a linear search of a small
/// array beats hashing into a `Set` (~1.4k instructions per directive in a profile); past 16 names (a
/// hostile field) it switches to a `Set`, so the cost stays linear.
struct SeenNames {
    private var few: [String] = []
    private var many: Set<String>?

    /// Adds `name`; `false` when it was already there.
    mutating func insert(_ name: String) -> Bool {
        if self.many != nil { return self.many!.insert(name).inserted }
        if self.few.contains(name) { return false }
        self.few.append(name)
        if self.few.count > 16 { self.many = Set(self.few) }
        return true
    }
}
