/// An entity tag: an opaque validator for one representation (RFC 9110 §8.8.3).
///
/// ```
/// entity-tag = [ weak ] opaque-tag
/// weak       = %s"W/"
/// opaque-tag = DQUOTE *etagc DQUOTE
/// etagc      = %x21 / %x23-7E / obs-text
/// ```
/// ``opaque`` holds the characters between the quotes; ``headerValue`` renders the field form.
public struct EntityTag: Sendable, Hashable {
    /// The characters between the double quotes (no quotes, no `W/`).
    public var opaque: String
    /// `true` for a weak validator (`W/"…"`).
    public var isWeak: Bool

    /// Creates a tag from its parts. `opaque` must consist of `etagc` characters
    /// (visible ASCII except `"`, or obs-text); use ``init(parsing:)`` for untrusted input.
    public init(opaque: String, isWeak: Bool = false) {
        self.opaque = opaque
        self.isWeak = isWeak
    }

    /// Parses one `entity-tag` (RFC 9110 §8.8.3), ignoring surrounding whitespace.
    ///
    /// Returns `nil` for anything else: missing quotes, a lowercase `w/`, `etagc`
    /// violations such as an embedded `"`, space or control character, or trailing text.
    public init?(parsing text: String) {
        var bytes = Substring(text).utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        guard let (tag, rest) = Self.scan(bytes), rest.isEmpty else { return nil }
        self = tag
    }

    /// The field-value form: `"xyz"` or `W/"xyz"`.
    public var headerValue: String {
        self.isWeak ? "W/\"\(self.opaque)\"" : "\"\(self.opaque)\""
    }

    /// Strong comparison (RFC 9110 §8.8.3.2): both tags are strong and their opaque-tags are
    /// identical character by character.
    public func strongMatch(_ other: EntityTag) -> Bool {
        !self.isWeak && !other.isWeak && self.opaque == other.opaque
    }

    /// Weak comparison (RFC 9110 §8.8.3.2): the opaque-tags are identical character by
    /// character, whichever of the two is weak.
    public func weakMatch(_ other: EntityTag) -> Bool {
        self.opaque == other.opaque
    }

    /// Parses an `If-Match` / `If-None-Match` field value (RFC 9110 §13.1.1, §13.1.2):
    /// `"*" / #entity-tag`.
    ///
    /// Empty list elements are skipped (RFC 9110 §5.6.1). Members that are not valid entity-tags
    /// are dropped, so a value with no valid member yields `.tags([])`, which matches nothing:
    /// a malformed `If-Match` then fails (412) and a malformed `If-None-Match` passes. `*` counts
    /// as ``EntityTagList/any`` only when it is the whole value.
    public static func parseList(_ headerValue: String) -> EntityTagList {
        var bytes = Substring(headerValue).utf8[...]
        var tags: [EntityTag] = []
        var sawAny = false
        var sawOther = false
        while true {
            // Skip OWS and empty list elements.
            while let first = bytes.first, first == 0x20 || first == 0x09 || first == UInt8(ascii: ",") {
                bytes = bytes.dropFirst()
            }
            guard !bytes.isEmpty else { break }
            if let (tag, rest) = Self.scan(bytes) {
                tags.append(tag)
                sawOther = true
                bytes = rest
                while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
                if let first = bytes.first, first != UInt8(ascii: ",") {
                    // Junk after a tag: drop the tag and skip to the next element.
                    tags.removeLast()
                    bytes = Self.skipElement(bytes)
                }
            } else {
                let element = bytes.prefix(while: { $0 != UInt8(ascii: ",") })
                if Self.trimmed(element).elementsEqual("*".utf8) {
                    sawAny = true
                } else {
                    sawOther = true
                }
                bytes = Self.skipElement(bytes)
            }
        }
        if sawAny && !sawOther { return .any }
        return .tags(tags)
    }

    /// Scans one entity-tag from the front of `bytes`, returning it and the remaining bytes.
    static func scan(_ bytes: Substring.UTF8View.SubSequence) -> (EntityTag, Substring.UTF8View.SubSequence)? {
        var rest = bytes
        var weak = false
        if rest.starts(with: "W/".utf8) {
            weak = true
            rest = rest.dropFirst(2)
        }
        guard rest.first == UInt8(ascii: "\"") else { return nil }
        rest = rest.dropFirst()
        guard let close = rest.firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        let opaque = rest[rest.startIndex..<close]
        guard opaque.allSatisfy({ $0 == 0x21 || ($0 >= 0x23 && $0 != 0x7F) }) else { return nil }
        let tag = EntityTag(opaque: String(decoding: opaque, as: UTF8.self), isWeak: weak)
        return (tag, rest[rest.index(after: close)...])
    }

    private static func skipElement(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        // Skips to the next top-level comma, stepping over quoted strings.
        var inQuotes = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if byte == UInt8(ascii: ","), !inQuotes {
                break
            }
            index = bytes.index(after: index)
        }
        return bytes[index...]
    }

    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var b = bytes
        while let first = b.first, first == 0x20 || first == 0x09 { b = b.dropFirst() }
        while let last = b.last, last == 0x20 || last == 0x09 { b = b.dropLast() }
        return b
    }
}

/// The parsed value of `If-Match` or `If-None-Match` (RFC 9110 §13.1.1, §13.1.2).
public enum EntityTagList: Sendable, Hashable {
    /// `*`: matches any current representation.
    case any
    /// A list of entity-tags; empty when no member was valid.
    case tags([EntityTag])

    /// `true` when any member strongly matches `tag` (the `If-Match` test, RFC 9110 §13.1.1).
    /// `.any` matches whenever a current representation exists, which the caller asserts by
    /// asking; pass `nil` when it has no entity-tag.
    public func containsStrongMatch(_ tag: EntityTag?) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags):
            guard let tag else { return false }
            return tags.contains { $0.strongMatch(tag) }
        }
    }

    /// `true` when any member weakly matches `tag` (the `If-None-Match` test, RFC 9110 §13.1.2).
    public func containsWeakMatch(_ tag: EntityTag?) -> Bool {
        switch self {
        case .any: return true
        case .tags(let tags):
            guard let tag else { return false }
            return tags.contains { $0.weakMatch(tag) }
        }
    }
}
