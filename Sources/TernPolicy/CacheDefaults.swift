import NIOHTTP1
import TernCore

/// Tern's default cache policy in one place, in the order decisions are made (RFC 9111 §3,
/// §3.5, §4.2; RFC 9213), in the spirit of Varnish's `builtin.vcl`.
///
/// Read ``CachePolicy/requestBypassReason(method:requestHeaders:options:)`` (may this request
/// use the cache at all?) and then ``CachePolicy/storability(method:requestHeaders:status:responseHeaders:options:)``
/// (may this response be stored?) top to bottom: the first rule that matches decides, and its
/// ``NoCacheReason`` is what logs, metrics and `Cache-Status` report.
public enum CacheDefaults {
    /// Status codes whose responses may be stored without explicit freshness and get a heuristic
    /// lifetime (RFC 9110 §15.1, "heuristically cacheable"). 206 is in the RFC list but Tern
    /// does not store partial content (``NoCacheReason/partial``).
    public static let heuristicallyCacheableStatuses: Set<Int> = [
        200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501,
    ]

    /// Status codes whose caching requirements Tern implements, for `must-understand`
    /// (RFC 9111 §5.2.2.3): the final codes of RFC 9110 §15 except 206 (never stored) and 304
    /// (a validation answer, merged rather than stored).
    public static let understoodStatuses: Set<Int> = [
        200, 201, 202, 203, 204, 205,
        300, 301, 302, 303, 307, 308,
        400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426,
        500, 501, 502, 503, 504, 505,
    ]

    /// Origin statuses that count as an error for `stale-if-error` (RFC 5861 §4).
    public static let staleIfErrorStatuses: Set<Int> = [500, 502, 503, 504]

    /// Fields never stored, besides hop-by-hop ones (RFC 9111 §3.1): proxy-specific
    /// authentication fields.
    public static let neverStoredFields: [String] = [
        "proxy-authenticate", "proxy-authentication-info", "proxy-authorization",
    ]

    /// Fields a 304 never updates in a stored response (RFC 9111 §3.2, §4.3.4): `Content-Length`
    /// (the 304 has no body), `Content-Range` and `Content-Encoding` (they describe the stored
    /// bytes), `Set-Cookie` (it answers the revalidating client's request, not everyone's;
    /// merged only with ``CachePolicyOptions/cacheSetCookie``), plus those of
    /// ``neverStoredFields`` and hop-by-hop fields.
    public static let notUpdatedBy304: [String] = [
        "content-length", "content-range", "content-encoding", "set-cookie",
    ]

    /// Client precondition fields: never forwarded on a revalidation the cache makes for itself
    /// (RFC 9111 §4.3.1); the cache evaluates them against its own response instead.
    public static let clientConditionalFields: [String] = [
        "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
    ]
}

extension CachePolicy {
    /// Whether a request may be answered from the cache at all (RFC 9111 §4); `nil` when it may.
    ///
    /// 1. the route bypasses the cache → ``NoCacheReason/bypass``;
    /// 2. the method is not GET or HEAD → ``NoCacheReason/method``;
    /// 3. the request asks for a protocol upgrade → ``NoCacheReason/upgrade``.
    ///
    /// Request `no-store` does not bypass lookup: RFC 9111 §5.2.1.5 forbids storing the response,
    /// not answering from a stored one (``storability(method:requestHeaders:status:responseHeaders:options:)``
    /// returns ``NoCacheReason/requestNoStore``).
    public static func requestBypassReason(
        method: HTTPMethod,
        requestHeaders: HTTPHeaders,
        options: CachePolicyOptions
    ) -> NoCacheReason? {
        if options.bypass { return .bypass }
        guard method == .GET || method == .HEAD else { return .method }
        if CacheFieldParsing.hasValue(requestHeaders, "upgrade") { return .upgrade }
        return nil
    }

    /// Whether a shared cache may store this response (RFC 9111 §3, §3.5; RFC 9213 §2.1).
    ///
    /// `Cache-Control` below means the governing directives: `CDN-Cache-Control` when it has a
    /// valid, non-empty value, else `Cache-Control` (``responseDirectives(_:options:)``).
    /// The first matching rule decides:
    ///
    ///  1. route bypass → `bypass-route`
    ///  2. method other than GET (HEAD is answered from a stored GET) → `method`
    ///  3. request `no-store` (§5.2.1.5) → `request-no-store`
    ///  4. 206 → `partial-content`; 1xx, 304 → `uncacheable-status`
    ///  5. `must-understand` with a status not in ``CacheDefaults/understoodStatuses`` →
    ///     `must-understand`; with an understood one, `no-store` is ignored (§5.2.2.3)
    ///  6. `no-store` (§5.2.2.5) → `no-store`
    ///  7. unqualified `private` (§5.2.2.7) → `private`
    ///  8. request `Authorization` without `public`, `s-maxage` or `must-revalidate` (§3.5)
    ///     → `authorization`
    ///  9. `Set-Cookie`, unless the route opts in or `private="set-cookie"` /
    ///     `no-cache="set-cookie"` lets the cache drop it → `set-cookie`
    /// 10. `Vary: *` (§4.1) → `vary-star`
    /// 11. `Content-Length` above ``CachePolicyOptions/maxObjectSize`` → `too-large`
    /// 12. no explicit freshness (`max-age`, `s-maxage`, `Expires`, `public`) and a status that is
    ///     not heuristically cacheable (§4.2.2) → `uncacheable-status`
    /// 13. no validator (`ETag`, `Last-Modified`) and either `no-cache` or a lifetime of zero
    ///     (after ``CachePolicyOptions/forceTTL``, `minTTL`, `negativeTTL`): the copy could never
    ///     be reused → `no-freshness`
    /// 14. otherwise → store.
    public static func storability(
        method: HTTPMethod,
        requestHeaders: HTTPHeaders,
        status: Int,
        responseHeaders: HTTPHeaders,
        options: CachePolicyOptions
    ) -> StorabilityDecision {
        // 1–3: the request.
        if options.bypass { return .doNotStore(.bypass) }
        guard method == .GET else { return .doNotStore(.method) }
        if requestHeaders.contains(name: "cache-control"), CacheControl(requestHeaders).noStore {
            return .doNotStore(.requestNoStore)
        }

        // 4: the status.
        if status == 206 { return .doNotStore(.partial) }
        if status < 200 || status == 304 || status > 999 { return .doNotStore(.status) }

        // 5–7: the governing directives.
        let (cc, targeted) = Self.responseDirectives(responseHeaders, options: options)
        var noStore = cc.noStore
        if cc.mustUnderstand {
            guard CacheDefaults.understoodStatuses.contains(status) else { return .doNotStore(.mustUnderstand) }
            noStore = false
        }
        if noStore { return .doNotStore(.responseNoStore) }
        if cc.isPrivate { return .doNotStore(.privateResponse) }

        // 8–9: sharing credentials.
        if requestHeaders.contains(name: "authorization"), !(cc.isPublic || cc.sMaxAge != nil || cc.mustRevalidate) {
            return .doNotStore(.authorization)
        }
        if !options.cacheSetCookie, responseHeaders.contains(name: "set-cookie"),
            !(cc.privateFields.contains("set-cookie") || cc.noCacheFields.contains("set-cookie"))
        {
            return .doNotStore(.setCookie)
        }

        // 10–11: shape.
        if CacheVary.fields(responseHeaders) == nil { return .doNotStore(.varyStar) }
        if let length = responseHeaders.first(name: "content-length").flatMap({ Int64(HTTPSyntax.trimOWS(Substring($0))) }),
            length > options.maxObjectSize
        {
            return .doNotStore(.tooLarge)
        }

        // 12–13: freshness.
        let explicit = cc.maxAge != nil || cc.sMaxAge != nil || cc.isPublic
            || (!targeted && responseHeaders.contains(name: "expires"))
        guard explicit || Self.isHeuristicallyCacheable(status: status) else { return .doNotStore(.status) }
        let hasValidator = responseHeaders.contains(name: "etag") || responseHeaders.contains(name: "last-modified")
        if !hasValidator {
            if cc.noCache { return .doNotStore(.noFreshness) }
            let lifetime = Self.freshnessLifetime(
                status: status,
                headers: responseHeaders,
                directives: cc,
                targeted: targeted,
                dateValue: CacheFieldParsing.date(responseHeaders, "date"),
                options: options
            )
            if lifetime == 0 { return .doNotStore(.noFreshness) }
        }
        return .store
    }
}
