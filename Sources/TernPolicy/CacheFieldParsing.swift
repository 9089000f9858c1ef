import NIOHTTP1
import TernCore

/// Small lexical helpers shared by the cache policy files (RFC 9110 §5.6: lists, tokens,
/// quoted strings; RFC 9111 §1.2.2: delta-seconds).
///
/// Internal on purpose: the public surface is the typed values built from them.
enum CacheFieldParsing {
    /// The largest delta-seconds value a cache has to represent (RFC 9111 §1.2.2): larger values
    /// are clamped to it.
    static let maxDeltaSeconds: Int64 = 2_147_483_648

    /// Splits a list-based field value at top-level commas (RFC 9110 §5.6.1), stepping over
    /// quoted strings and their backslash escapes. Elements are OWS-trimmed; empty ones dropped.
    ///
    /// Works on the UTF-8 bytes: the delimiters are ASCII, and stepping through `Character`s costs
    /// grapheme breaking on every byte (it made parsing `Cache-Control: public, max-age=3600` cost
    /// ~20k instructions, several times per stored response; issue 18).
    static func splitList(_ value: Substring) -> [Substring] {
        var elements: [Substring] = []
        var inQuotes = false
        var escaped = false
        let utf8 = value.utf8
        var start = utf8.startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let c = utf8[index]
            if inQuotes {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inQuotes = false
                }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
            } else if c == UInt8(ascii: ",") {
                let element = HTTPSyntax.trimOWS(value[start..<index])
                if !element.isEmpty { elements.append(element) }
                start = utf8.index(after: index)
            }
            utf8.formIndex(after: &index)
        }
        let last = HTTPSyntax.trimOWS(value[start..<utf8.endIndex])
        if !last.isEmpty { elements.append(last) }
        return elements
    }

    /// All field lines of `name` combined into one list (RFC 9110 §5.3) and split (§5.6.1).
    static func listElements(_ headers: HTTPHeaders, _ name: String) -> [Substring] {
        var out: [Substring] = []
        for value in headers[name] { out.append(contentsOf: Self.splitList(Substring(value))) }
        return out
    }

    /// `1*DIGIT` as delta-seconds (RFC 9111 §1.2.2), clamped to ``maxDeltaSeconds``;
    /// `nil` for anything else (empty, sign, decimal point, letters, whitespace).
    static func deltaSeconds(_ s: Substring) -> Int64? {
        guard !s.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in s.utf8 {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            if value < Self.maxDeltaSeconds {
                value = value * 10 + Int64(byte - 0x30)
            }
        }
        return min(value, Self.maxDeltaSeconds)
    }

    /// Decodes a complete `quoted-string` (RFC 9110 §5.6.4); `nil` when `s` is not exactly one.
    static func unquote(_ s: Substring) -> String? {
        let utf8 = s.utf8
        guard utf8.first == UInt8(ascii: "\""), utf8.count >= 2 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var escaped = false
        var index = utf8.index(after: utf8.startIndex)
        while index < utf8.endIndex {
            let c = utf8[index]
            if escaped {
                out.append(c)
                escaped = false
            } else if c == UInt8(ascii: "\\") {
                escaped = true
            } else if c == UInt8(ascii: "\"") {
                return utf8.index(after: index) == utf8.endIndex ? String(decoding: out, as: UTF8.self) : nil
            } else {
                out.append(c)
            }
            utf8.formIndex(after: &index)
        }
        return nil
    }

    /// ASCII lower-casing (field names, tokens); other characters untouched.
    static func lower(_ s: Substring) -> String {
        if !s.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) { return String(s) }
        return String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// The first field line of `name` parsed as an HTTP-date (RFC 9110 §5.6.7), in seconds.
    static func date(_ headers: HTTPHeaders, _ name: String) -> Int64? {
        guard let value = headers.first(name: name) else { return nil }
        return HTTPDate.parse(value)
    }

    /// Whether any field line of `name` has a non-empty value.
    static func hasValue(_ headers: HTTPHeaders, _ name: String) -> Bool {
        headers[name].contains { !HTTPSyntax.trimOWS(Substring($0)).isEmpty }
    }

    /// A list of field names from a qualified `no-cache` / `private` argument (RFC 9111 §5.2.2.4,
    /// §5.2.2.7): lower-cased, trimmed, empties dropped.
    static func fieldNames(_ value: String) -> [String] {
        value.split(separator: ",").map { Self.lower(HTTPSyntax.trimOWS($0)) }.filter { !$0.isEmpty }
    }
}
