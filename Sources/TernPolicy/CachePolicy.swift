import NIOHTTP1

/// The outcome of RFC 9111 §3 "Storing Responses in Caches" for one response.
public enum StorabilityDecision: Sendable, Equatable {
    /// Store the response (after ``CachePolicy/headersForStorage(_:options:)``).
    case store
    /// Do not store; forward only.
    case doNotStore(NoCacheReason)
}

/// RFC 9111 shared-cache decisions as pure functions of (request, stored response, options, now).
///
/// The decisions live in several files: storability and request bypass in `CacheDefaults.swift`
/// (readable top to bottom), freshness and age in `CacheFreshness.swift`, reuse and stale
/// serving in `CacheReuse.swift`, validation and 304 handling in `CacheValidation.swift`,
/// invalidation in `CacheInvalidation.swift`.
public enum CachePolicy {
    /// The directives that govern this cache for a response (RFC 9213 §2.1): the first targeted
    /// field (``CachePolicyOptions/targetedFields``, `CDN-Cache-Control` by default) with a valid,
    /// non-empty value, else `Cache-Control`. `targeted` is `true` in the first case, where
    /// `Expires` is ignored too.
    public static func responseDirectives(
        _ headers: HTTPHeaders,
        options: CachePolicyOptions = CachePolicyOptions()
    ) -> (directives: CacheControl, targeted: Bool) {
        for field in options.targetedFields where headers.contains(name: field) {
            let parsed = CacheControl(headers, field: field)
            if !parsed.isEmpty { return (parsed, true) }
        }
        return (CacheControl(headers), false)
    }

    /// The header fields to keep when storing a response (RFC 9111 §3.1): drops hop-by-hop
    /// fields and those named by `Connection` (RFC 9110 §7.6.1), `Proxy-Authenticate`,
    /// `Proxy-Authentication-Info`, `Proxy-Authorization`, and the fields named by qualified
    /// `no-cache="…"` (§5.2.2.4) and `private="…"` (§5.2.2.7), so the rest of the response can
    /// be reused without them.
    public static func headersForStorage(
        _ headers: HTTPHeaders,
        options: CachePolicyOptions = CachePolicyOptions()
    ) -> HTTPHeaders {
        var out = headers
        ProxyHeaders.stripHopByHop(&out)
        for name in CacheDefaults.neverStoredFields where out.contains(name: name) { out.remove(name: name) }
        let cc = Self.responseDirectives(headers, options: options).directives
        for name in cc.noCacheFields + cc.privateFields where out.contains(name: name) { out.remove(name: name) }
        return out
    }

    /// Removes the targeted cache-control fields (RFC 9213) from a response about to be sent
    /// downstream. RFC 9213 allows forwarding them; strip when the next hop is not a cache
    /// meant to obey them (a browser, or a CDN that should not inherit this cache's TTLs).
    public static func stripCDNCacheControl(
        _ headers: inout HTTPHeaders,
        options: CachePolicyOptions = CachePolicyOptions()
    ) {
        for field in options.targetedFields where headers.contains(name: field) { headers.remove(name: field) }
    }

    /// Whether `status` is heuristically cacheable (RFC 9110 §15.1, RFC 9111 §4.2.2).
    public static func isHeuristicallyCacheable(status: Int) -> Bool {
        CacheDefaults.heuristicallyCacheableStatuses.contains(status)
    }

    /// Whether `method` is unsafe for invalidation purposes (RFC 9111 §4.4; RFC 9110 §9.2.1):
    /// anything but GET, HEAD, OPTIONS and TRACE, including unknown methods.
    public static func isUnsafe(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE: return false
        default: return true
        }
    }
}
