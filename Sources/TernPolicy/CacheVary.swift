import NIOHTTP1
import TernCore

/// Secondary cache keys from `Vary` (RFC 9111 §4.1).
///
/// Store: `fields = CacheVary.fields(response)`; `nil` means `Vary: *` (never stored).
/// Key each variant by `variantKey(fields:request:)` of the request that produced it, and at
/// lookup compare with `variantKey(fields: storedFields, request: newRequest)`.
public enum CacheVary {
    /// The field names a response varies on: lower-cased, sorted, de-duplicated; `[]` without
    /// `Vary`; `nil` when any member is `*` (RFC 9111 §4.1: such a response never matches).
    public static func fields(_ responseHeaders: HTTPHeaders) -> [String]? {
        var names = Set<String>()
        for element in CacheFieldParsing.listElements(responseHeaders, "vary") {
            if element == "*" { return nil }
            names.insert(CacheFieldParsing.lower(element))
        }
        return names.sorted()
    }

    /// A normalised key for the values of `fields` in `request` (RFC 9111 §4.1).
    ///
    /// Requests that §4.1 says match produce equal keys: field lines are combined (RFC 9110 §5.3),
    /// whitespace around list commas and at the ends is dropped, and members are joined with
    /// `", "`. For `Accept-Encoding` (whose members are case-insensitive and unordered) members
    /// are lower-cased, spaces around `;` removed, and sorted. An absent field (`name`) differs
    /// from an empty one (`name=`). Entries are separated by U+001F, e.g.
    /// `accept-encoding=br, gzip\u{1F}accept-language=en`. Control characters and `%` inside
    /// values are percent-encoded so the separator cannot be forged.
    public static func variantKey(fields: [String], request: HTTPHeaders) -> String {
        var parts: [String] = []
        parts.reserveCapacity(fields.count)
        for field in fields {
            let name = CacheFieldParsing.lower(Substring(field))
            guard let value = Self.normalizedValue(name: name, request: request) else {
                parts.append(name)
                continue
            }
            parts.append("\(name)=\(CacheKey.escape(value))")
        }
        return parts.joined(separator: "\u{1F}")
    }

    /// The combined, normalised value of `name` in `request`, or `nil` when absent.
    static func normalizedValue(name: String, request: HTTPHeaders) -> String? {
        let lines = request[name]
        guard !lines.isEmpty else { return nil }
        var members = lines.flatMap { CacheFieldParsing.splitList(Substring($0)) }.map(String.init)
        if name == "accept-encoding" {
            members = members.map { member in
                CacheFieldParsing.lower(Substring(member))
                    .split(separator: ";")
                    .map { HTTPSyntax.trimOWS($0) }
                    .joined(separator: ";")
            }
            members.sort()
        }
        return members.joined(separator: ", ")
    }
}
