/// Why a response was not stored, or a request bypassed the cache (RFC 9111 §3, §5.2; RFC 9211
/// `detail`).
///
/// The raw values are stable: they are log fields, metrics labels and the `detail=` parameter of
/// `Cache-Status` (see ``CacheStatus``). Add cases; never rename one.
public enum NoCacheReason: String, Sendable, CaseIterable {
    /// The route is configured to bypass the cache (``CachePolicyOptions/bypass``).
    case bypass = "bypass-route"
    /// The request method is not GET (storage) or not GET/HEAD (lookup) (RFC 9111 §3, §4).
    case method = "method"
    /// The request asks for a protocol switch (`Upgrade`, e.g. WebSocket) (RFC 9110 §7.8);
    /// such exchanges are never cached.
    case upgrade = "upgrade"
    /// The request carried `Cache-Control: no-store` (RFC 9111 §5.2.1.5).
    case requestNoStore = "request-no-store"
    /// The response status is never stored: 1xx, 304, or a status without explicit freshness
    /// that is not heuristically cacheable (RFC 9111 §3, §4.2.2; RFC 9110 §15.1).
    case status = "uncacheable-status"
    /// `206 Partial Content`: Tern stores only complete responses (RFC 9111 §3.3 allows storing
    /// partial content; Tern does not yet).
    case partial = "partial-content"
    /// `must-understand` on a status code Tern does not implement caching for (RFC 9111 §5.2.2.3).
    case mustUnderstand = "must-understand"
    /// The response carried `no-store` (RFC 9111 §5.2.2.5).
    case responseNoStore = "no-store"
    /// The response carried unqualified `private` (RFC 9111 §5.2.2.7).
    case privateResponse = "private"
    /// The request carried `Authorization` and the response did not allow sharing with
    /// `public`, `s-maxage` or `must-revalidate` (RFC 9111 §3.5).
    case authorization = "authorization"
    /// The response sets a cookie and the route did not opt in
    /// (``CachePolicyOptions/cacheSetCookie``).
    case setCookie = "set-cookie"
    /// `Vary: *`: no later request can match (RFC 9111 §4.1).
    case varyStar = "vary-star"
    /// `Content-Length` (or the streamed body) exceeds ``CachePolicyOptions/maxObjectSize``.
    case tooLarge = "too-large"
    /// The stored copy could never be reused without a full fetch: zero freshness lifetime
    /// (or `no-cache`) and no validator to revalidate with (RFC 9111 §4.2, §4.3).
    case noFreshness = "no-freshness"
    /// The origin body ended early or failed; a short body is never stored.
    case truncated = "truncated"
    /// The request carried `Range` and was forwarded as is, so the response is partial.
    /// (Set by the proxy; policy prefers to fetch the whole representation.)
    case range = "range-request"
    /// The store refused or failed to write the object (I/O error, full).
    case storageError = "storage-error"
    /// Waiting for another request's fetch of the same object (the cache lock) timed out, so
    /// this request went to the origin on its own and does not store.
    case lockTimeout = "lock-timeout"
}
