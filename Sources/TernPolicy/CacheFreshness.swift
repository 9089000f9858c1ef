import NIOHTTP1

/// Freshness and age of a stored response at one instant (RFC 9111 §4.2; RFC 5861; RFC 8246).
///
/// All values are whole seconds. Stale-serving windows are already zero when stale serving is
/// prohibited (`no-cache`, `must-revalidate`, `proxy-revalidate`, or `s-maxage` without an
/// explicit `stale-*` directive).
public struct Freshness: Sendable, Equatable {
    /// Freshness lifetime (§4.2.1), after the route's TTL options.
    public var lifetime: Int64
    /// `current_age` (§4.2.3), floored to whole seconds.
    public var currentAge: Int64
    /// How far past its lifetime the response is (0 while fresh).
    public var staleness: Int64
    /// Seconds past the lifetime during which a stale copy may be served while revalidating in
    /// the background (RFC 5861 §3).
    public var staleWhileRevalidate: Int64
    /// Seconds past the lifetime during which a stale copy may be served when the origin fails
    /// (RFC 5861 §4).
    public var staleIfError: Int64
    /// `must-revalidate`, `proxy-revalidate` or `s-maxage` present (§5.2.2.2, §5.2.2.8,
    /// §5.2.2.10): never serve stale on the client's say-so.
    public var mustRevalidate: Bool
    /// Unqualified `no-cache` (§5.2.2.4): every reuse needs a successful validation.
    public var noCache: Bool
    /// `immutable` (RFC 8246).
    public var immutable: Bool
    /// `lifetime − currentAge`: negative once stale (RFC 9211 `ttl`).
    public var ttlRemaining: Int64

    /// `true` while `currentAge < lifetime` (§4.2).
    public var isFresh: Bool { self.currentAge < self.lifetime }

    public init(
        lifetime: Int64,
        currentAge: Int64,
        staleWhileRevalidate: Int64 = 0,
        staleIfError: Int64 = 0,
        mustRevalidate: Bool = false,
        noCache: Bool = false,
        immutable: Bool = false
    ) {
        self.lifetime = lifetime
        self.currentAge = currentAge
        self.staleness = max(0, currentAge - lifetime)
        self.staleWhileRevalidate = staleWhileRevalidate
        self.staleIfError = staleIfError
        self.mustRevalidate = mustRevalidate
        self.noCache = noCache
        self.immutable = immutable
        self.ttlRemaining = lifetime - currentAge
    }
}

extension CachePolicy {
    /// Freshness lifetime and current age of `stored` at `now` (RFC 9111 §4.2.1–§4.2.3).
    ///
    /// Lifetime, first match (directives from `CDN-Cache-Control` when valid, RFC 9213):
    /// ``CachePolicyOptions/forceTTL``; `s-maxage`; `max-age`; `Expires − Date` (not with
    /// `CDN-Cache-Control`; an invalid `Expires` such as `0` means already expired, §5.3; a
    /// missing or invalid `Date` is replaced by the response time); for 404/410,
    /// ``CachePolicyOptions/negativeTTL``; for heuristically cacheable statuses or `public`,
    /// `heuristicFraction × (Date − Last-Modified)` capped at `heuristicMaxTTL` (§4.2.2);
    /// else 0. Then raised to ``CachePolicyOptions/minTTL``.
    ///
    /// Age (§4.2.3), computed in milliseconds and floored to seconds:
    /// `apparent_age = max(0, response_time − date_value)`,
    /// `corrected_age_value = age_value + (response_time − request_time)`,
    /// `current_age = max(apparent_age, corrected_age_value) + (now − response_time)`.
    /// `Age` (§5.1): the first member of the first line; anything but digits (negative, decimal,
    /// text) is ignored as RFC 9111 §5.1 says; values above 2147483648 clamp to it.
    public static func freshness(of stored: StoredResponse, now: Int64, options: CachePolicyOptions) -> Freshness {
        Self.evaluate(stored, now: now, options: options).freshness
    }

    /// ``freshness(of:now:options:)`` plus the governing directives it used.
    static func evaluate(
        _ stored: StoredResponse,
        now: Int64,
        options: CachePolicyOptions
    ) -> (freshness: Freshness, directives: CacheControl) {
        let (cc, targeted) = Self.responseDirectives(stored.headers, options: options)
        let dateValue = CacheFieldParsing.date(stored.headers, "date") ?? Self.floorDiv(stored.responseTime, 1000)
        let lifetime = Self.freshnessLifetime(
            status: stored.status,
            headers: stored.headers,
            directives: cc,
            targeted: targeted,
            dateValue: dateValue,
            options: options
        ) ?? 0
        let age = Self.currentAgeMilliseconds(stored, dateValue: dateValue, now: now) / 1000

        let prohibited = cc.noCache || cc.mustRevalidate || cc.proxyRevalidate
        func window(_ explicit: Int64?, _ fallback: Int64) -> Int64 {
            if prohibited { return 0 }
            if let explicit { return explicit }
            return cc.sMaxAge == nil ? max(0, fallback) : 0
        }
        let freshness = Freshness(
            lifetime: lifetime,
            currentAge: age,
            staleWhileRevalidate: window(cc.staleWhileRevalidate, options.defaultStaleWhileRevalidate),
            staleIfError: window(cc.staleIfError, options.defaultStaleIfError),
            mustRevalidate: cc.mustRevalidate || cc.proxyRevalidate || cc.sMaxAge != nil,
            noCache: cc.noCache,
            immutable: cc.immutable
        )
        return (freshness, cc)
    }

    /// The freshness lifetime in seconds (RFC 9111 §4.2.1), or `nil` when it depends on a `Date`
    /// the caller does not know (`dateValue == nil`).
    static func freshnessLifetime(
        status: Int,
        headers: HTTPHeaders,
        directives cc: CacheControl,
        targeted: Bool,
        dateValue: Int64?,
        options: CachePolicyOptions
    ) -> Int64? {
        if let force = options.forceTTL { return max(0, force) }
        var lifetime: Int64
        if let sMaxAge = cc.sMaxAge {
            lifetime = sMaxAge
        } else if let maxAge = cc.maxAge {
            lifetime = maxAge
        } else if !targeted, headers.contains(name: "expires") {
            guard let expires = CacheFieldParsing.date(headers, "expires") else {
                return max(0, options.minTTL ?? 0)  // invalid Expires (e.g. "0"): already expired (§5.3)
            }
            guard let dateValue else { return nil }
            lifetime = max(0, expires - dateValue)
        } else if status == 404 || status == 410, let negative = options.negativeTTL {
            lifetime = max(0, negative)
        } else if Self.isHeuristicallyCacheable(status: status) || cc.isPublic {
            if let lastModified = CacheFieldParsing.date(headers, "last-modified") {
                guard let dateValue else { return nil }
                let interval = max(0, dateValue - lastModified)
                let fraction = max(0, options.heuristicFraction)
                let heuristic = Double(interval) * fraction
                lifetime = heuristic >= Double(options.heuristicMaxTTL) ? options.heuristicMaxTTL : Int64(heuristic)
                lifetime = max(0, lifetime)
            } else {
                lifetime = 0
            }
        } else {
            lifetime = 0
        }
        if let minTTL = options.minTTL { lifetime = max(lifetime, minTTL) }
        return lifetime
    }

    /// `current_age` of RFC 9111 §4.2.3 in milliseconds; `dateValue` in seconds.
    static func currentAgeMilliseconds(_ stored: StoredResponse, dateValue: Int64, now: Int64) -> Int64 {
        let ageValue = Self.ageValue(stored.headers) ?? 0
        let apparentAge = max(0, stored.responseTime - dateValue * 1000)
        let responseDelay = max(0, stored.responseTime - stored.requestTime)
        let correctedAgeValue = ageValue * 1000 + responseDelay
        let correctedInitialAge = max(apparentAge, correctedAgeValue)
        let residentTime = max(0, now - stored.responseTime)
        return correctedInitialAge + residentTime
    }

    /// The `Age` field value in seconds (RFC 9111 §5.1), or `nil` when absent or invalid.
    static func ageValue(_ headers: HTTPHeaders) -> Int64? {
        guard let first = CacheFieldParsing.listElements(headers, "age").first else { return nil }
        return CacheFieldParsing.deltaSeconds(first)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
