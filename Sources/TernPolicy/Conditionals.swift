import NIOHTTP1
import TernCore

/// Evaluation of client preconditions against the selected representation's validators
/// (RFC 9110 §13.1, §13.2).
///
/// Pure: the caller supplies the validators (and, for ``ifRangeMatches(headers:etag:lastModified:now:)``,
/// optionally its clock reading); nothing here touches storage or the clock.
public enum Conditionals {
    /// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since` in the
    /// order of RFC 9110 §13.2.2, for a target resource that has a current representation whose
    /// validators are `etag` and `lastModified` (seconds since the epoch).
    ///
    /// 1. `If-Match` present: no strong match (`*` always matches) → `.preconditionFailed` (§13.1.1).
    /// 2. else `If-Unmodified-Since` present, a single valid HTTP-date, and `lastModified` known:
    ///    `lastModified > date` → `.preconditionFailed` (§13.1.4).
    /// 3. `If-None-Match` present: a weak match (`*` always matches) → `.notModified` for GET and
    ///    HEAD, `.preconditionFailed` otherwise (§13.1.2).
    /// 4. else, for GET and HEAD only, `If-Modified-Since` present, a single valid HTTP-date, and
    ///    `lastModified` known: `lastModified <= date` → `.notModified` (§13.1.3).
    ///
    /// Multiple `If-Match`/`If-None-Match` field lines are combined as one list (§5.3). A date
    /// field with more than one field line or an invalid date is ignored (§13.1.3, §13.1.4).
    public static func evaluate(
        method: HTTPMethod,
        headers: HTTPHeaders,
        etag: EntityTag?,
        lastModified: Int64?
    ) -> ConditionalOutcome {
        let isGetOrHead = method == .GET || method == .HEAD

        // Step 1 / 2.
        if let ifMatch = Self.list(headers, "if-match") {
            if !ifMatch.containsStrongMatch(etag) { return .preconditionFailed }
        } else if let date = Self.singleDate(headers, "if-unmodified-since"), let lastModified {
            if lastModified > date { return .preconditionFailed }
        }

        // Step 3 / 4.
        if let ifNoneMatch = Self.list(headers, "if-none-match") {
            if ifNoneMatch.containsWeakMatch(etag) {
                return isGetOrHead ? .notModified : .preconditionFailed
            }
        } else if isGetOrHead, let date = Self.singleDate(headers, "if-modified-since"), let lastModified {
            if lastModified <= date { return .notModified }
        }
        return .proceed
    }

    /// Whether a `Range` request may be honoured given its `If-Range` field (RFC 9110 §13.1.5).
    ///
    /// - No `If-Range` → `true`.
    /// - An entity-tag → `true` only for a strong match with `etag` (a weak tag never matches).
    /// - An HTTP-date → `true` only when it exactly equals `lastModified` and that date is a strong
    ///   validator: when `now` (the response's `Date`) is given, `lastModified` must be at least one
    ///   second earlier (§8.8.2.2); without `now` the caller vouches for it.
    /// - Anything else (invalid value, several field lines) → `false`: send the whole representation.
    public static func ifRangeMatches(
        headers: HTTPHeaders,
        etag: EntityTag?,
        lastModified: Int64?,
        now: Int64? = nil
    ) -> Bool {
        let values = headers["if-range"]
        guard !values.isEmpty else { return true }
        guard values.count == 1 else { return false }
        let value = String(HTTPSyntax.trimOWS(Substring(values[0])))
        if value.hasPrefix("\"") || value.hasPrefix("W/") {
            guard let tag = EntityTag(parsing: value), let etag else { return false }
            return tag.strongMatch(etag)
        }
        guard let date = HTTPDate.parse(value), let lastModified, date == lastModified else { return false }
        if let now, now - lastModified < 1 { return false }
        return true
    }

    private static func list(_ headers: HTTPHeaders, _ name: String) -> EntityTagList? {
        let values = headers[name]
        guard !values.isEmpty else { return nil }
        return EntityTag.parseList(values.joined(separator: ","))
    }

    private static func singleDate(_ headers: HTTPHeaders, _ name: String) -> Int64? {
        let values = headers[name]
        guard values.count == 1 else { return nil }
        return HTTPDate.parse(values[0])
    }
}
