import NIOHTTP1

/// What to do with a stored response that matches a request (RFC 9111 §4; RFC 5861 §3).
public enum ReuseDecision: Sendable, Equatable {
    /// Answer from the cache without contacting the origin. Usually the response is fresh; it
    /// may be stale within the client's `max-stale` (§5.2.1.2) — check ``Freshness/isFresh``.
    case fresh
    /// Serve the stale response now and refresh it in the background (RFC 5861 §3).
    case staleWhileRevalidate
    /// Send a conditional request first (§4.3): stale without permission to serve it, `no-cache`,
    /// or request `no-cache` / `max-age` / `min-fresh` not satisfied.
    case revalidate
    /// The client sent `only-if-cached` and the stored response cannot be used without the
    /// origin: answer 504 (§5.2.1.7).
    case onlyIfCachedMiss
}

/// How a request to the origin failed, for `stale-if-error` (RFC 5861 §4).
public enum OriginFailure: Sendable, Equatable {
    /// No connection could be made.
    case connect
    /// The origin did not answer in time.
    case timeout
    /// The origin answered with this status.
    case status(Int)
}

extension CachePolicy {
    /// Whether and how `stored` may answer a request (RFC 9111 §4, §4.2.4, §5.2.1; RFC 5861 §3).
    ///
    /// The caller has already matched the primary key and the variant (``CacheVary``) and checked
    /// ``requestBypassReason(method:requestHeaders:options:)``. In order:
    /// 1. method not GET/HEAD → revalidate;
    /// 2. response `no-cache`, or a field named by qualified `no-cache="…"` still stored → revalidate;
    /// 3. request `no-cache`; request `max-age=0` or `max-age` below the current age; request
    ///    `min-fresh` above the remaining lifetime → revalidate (request directives are advisory,
    ///    §5.2.1: off with ``CachePolicyOptions/honorRequestCacheControl``);
    /// 4. fresh → fresh;
    /// 5. stale, not `must-revalidate`/`proxy-revalidate`/`s-maxage`, and within the request's
    ///    `max-stale` → fresh (§4.2.4: the client allowed it);
    /// 6. stale by less than the `stale-while-revalidate` window → staleWhileRevalidate;
    /// 7. otherwise revalidate.
    /// Whenever the result would be `revalidate` and the request has `only-if-cached`, it is
    /// `onlyIfCachedMiss` instead (§5.2.1.7).
    public static func reuse(
        request: HTTPHeaders,
        method: HTTPMethod,
        stored: StoredResponse,
        now: Int64,
        options: CachePolicyOptions
    ) -> ReuseDecision {
        let requestCC = request.contains(name: "cache-control") ? CacheControl(request) : CacheControl()
        let miss: ReuseDecision = requestCC.onlyIfCached ? .onlyIfCachedMiss : .revalidate
        guard method == .GET || method == .HEAD else { return miss }

        let (f, cc) = Self.evaluate(stored, now: now, options: options)
        if f.noCache { return miss }
        if cc.noCacheFields.contains(where: { stored.headers.contains(name: $0) }) { return miss }

        let honored = options.honorRequestCacheControl ? requestCC : CacheControl()
        if honored.noCache { return miss }
        if let maxAge = honored.maxAge, maxAge == 0 || f.currentAge > maxAge { return miss }
        if let minFresh = honored.minFresh, f.ttlRemaining < minFresh { return miss }

        if f.isFresh { return .fresh }

        if !f.mustRevalidate, let maxStale = honored.maxStale {
            switch maxStale {
            case .any: return .fresh
            case .seconds(let limit) where f.staleness <= limit: return .fresh
            case .seconds: break
            }
        }
        if f.staleWhileRevalidate > 0, f.staleness < f.staleWhileRevalidate { return .staleWhileRevalidate }
        return miss
    }

    /// Whether a stale (or revalidation-pending) `stored` may be served because the origin
    /// failed this way (RFC 5861 §4; RFC 9111 §4.2.4).
    ///
    /// Only connect errors, timeouts and 500/502/503/504 qualify. Never with response `no-cache`,
    /// `must-revalidate` or `proxy-revalidate` (§5.2.2.2: answer 504), nor with request
    /// `no-cache` unless the request itself sends `stale-if-error`. A fresh response qualifies.
    /// A stale one qualifies while `staleness < window`, the window being the response's
    /// `stale-if-error` (or ``CachePolicyOptions/defaultStaleIfError``), widened by the request's
    /// `stale-if-error` or `max-stale` unless `s-maxage` forbids stale serving.
    public static func staleIfErrorAllowed(
        stored: StoredResponse,
        request: HTTPHeaders,
        failure: OriginFailure,
        now: Int64,
        options: CachePolicyOptions
    ) -> Bool {
        switch failure {
        case .connect, .timeout: break
        case .status(let status): guard CacheDefaults.staleIfErrorStatuses.contains(status) else { return false }
        }
        let (f, cc) = Self.evaluate(stored, now: now, options: options)
        if f.noCache { return false }
        let requestCC = request.contains(name: "cache-control") ? CacheControl(request) : CacheControl()
        if requestCC.noCache, requestCC.staleIfError == nil { return false }
        if f.isFresh { return true }
        if cc.mustRevalidate || cc.proxyRevalidate { return false }

        var window = f.staleIfError
        let sMaxAgeForbids = cc.sMaxAge != nil && cc.staleIfError == nil
        if !sMaxAgeForbids {
            if let requested = requestCC.staleIfError { window = max(window, requested) }
            if options.honorRequestCacheControl, let maxStale = requestCC.maxStale {
                switch maxStale {
                case .any: return true
                case .seconds(let limit): window = max(window, limit + 1)  // max-stale is inclusive
                }
            }
        }
        return f.staleness < window
    }

    /// The `Age` field value for a response served from the cache (RFC 9111 §5.1): the current
    /// age in seconds, capped at 2147483648.
    public static func ageHeaderValue(_ freshness: Freshness) -> String {
        String(min(max(0, freshness.currentAge), CacheFieldParsing.maxDeltaSeconds))
    }
}
