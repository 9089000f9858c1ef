#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import TernPolicy
import TernStorage

/// Per-request cache state of a `ProxyHandler` exchange on a caching route.
struct CacheExchange {
    enum Mode {
        /// Not looked up (unsafe method, bypassed route, `no-store` request…); unsafe methods
        /// invalidate after a successful response.
        case bypass(invalidates: Bool)
        /// Missed: forward and store the response if it is storable.
        case fill
        /// A stale (or `no-cache`) entry: a conditional request is on its way.
        case revalidate(CacheEntry)
    }

    var route: RouteCacheRuntime
    var primaryKey: String
    var mode: Mode
    var status: CacheStatus
    /// The client's method (a `HEAD` miss is fetched upstream as `GET` so it can be stored).
    var clientMethod: HTTPMethod
    var fill: CacheFill?
    /// The client gets no body (HEAD, or a locally evaluated 304/412).
    var suppressBody = false
    /// The client asked for one range of a response that is streaming from the origin.
    var slice: ClosedRange<Int64>?
    var bodyOffset: Int64 = 0
    /// Serve this entry once the upstream exchange ends (after a 304 merge or for stale-if-error).
    var serveAfterUpstream: CacheEntry?
    var serveAfterUpstreamIsStale = false
    /// `memory` or `disk` for hits (access log).
    var tier: String?
    /// The cache lock this request holds: it fetches for itself and for the waiters.
    var leading: InFlightFill?
    /// The fill this request waits on (read-while-writer), and its registration.
    var waitingOn: (fill: InFlightFill, box: FillWaiterBox)?
    /// The key the lock was taken on (the primary key, or primary + variant after a Vary mismatch).
    var lockKey: String = ""
    /// The storage purge generation when the request went upstream: a purge after it that matches
    /// the object keeps this fill from storing (no resurrection of purged content).
    var fillGeneration: UInt64 = 0
    /// Tern negotiates this object's content coding (responses carry `Vary: Accept-Encoding`).
    var negotiated = false
    /// The fill is small enough to hold the client's response until it is complete (see `ProxyHandler.heldHead`).
    var holdUntilStored = false
    /// The fill's body is complete (the head may now say `stored`).
    var bodyComplete = false
}

extension ProxyHandler {
    static func unixMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    // MARK: Lookup

    /// Entry point for requests on a caching route: bypass, or look up and decide.
    func startCachedRequest(
        head: HTTPRequestHead, target: RequestTarget, host: String?, routeIndex: Int, route: RouteCacheRuntime,
        cache: TieredCache, expectContinue: Bool, now: NIODeadline
    ) {
        if let reason = CachePolicy.requestBypassReason(method: head.method, requestHeaders: head.headers, options: route.policy) {
            self.cache = CacheExchange(
                route: route, primaryKey: "", mode: .bypass(invalidates: !head.method.isSafe),
                status: CacheStatus(hit: false, fwd: .bypass, fwdStatus: nil, stored: false, collapsed: false, ttl: nil, detail: reason.rawValue),
                clientMethod: head.method
            )
            self.runtime.stats.cacheBypass.wrappingIncrement(ordering: .relaxed)
            return self.startForwarding(head: head, target: target, hashKey: head.uri, expectContinue: expectContinue, now: now)
        }
        let makeKey = {
            CacheKey.primary(
                scheme: "http", host: host ?? "", path: target.path, query: target.query,
                requestHeaders: head.headers, options: route.key, partition: self.runtime.routePartition[routeIndex]
            )
        }
        // A key built from the URL alone is memoised per loop (normalisation is not free).
        let primaryKey = route.key.headers.isEmpty && route.key.cookies.isEmpty
            ? self.loop.keyMemo.primary(route: routeIndex, host: host ?? "", uri: head.uri, make: makeKey)
            : makeKey()
        self.cache = CacheExchange(
            route: route, primaryKey: primaryKey, mode: .fill,
            status: CacheStatus(hit: false, fwd: .uriMiss, fwdStatus: nil, stored: false, collapsed: false, ttl: nil, detail: nil),
            clientMethod: head.method
        )
        let nowMillis = Self.unixMillis()
        if let entries = cache.lookupMemory(primaryKey: primaryKey, now: nowMillis) {
            return self.decide(entries: entries, tier: "memory", target: target, expectContinue: expectContinue)
        }
        guard cache.disk != nil else {
            return self.decide(entries: nil, tier: nil, target: target, expectContinue: expectContinue)
        }
        // Disk lookups run on the thread pool; the request waits (its body, if any, is buffered).
        self.phase = .lookingUp
        self.pauseClientReads()
        let exchange = self.exchangeID
        cache.lookup(primaryKey: primaryKey, now: nowMillis, eventLoop: self.context.eventLoop)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                guard exchange == self.exchangeID, case .lookingUp = self.phase else { return }
                self.phase = .idle
                self.resumeClientReads()
                let entries = (try? result.get()) ?? nil
                self.decide(entries: entries, tier: entries == nil ? nil : "disk", target: target, expectContinue: expectContinue)
            }
    }

    /// Picks the variant, asks policy whether it can be reused, and serves, revalidates or forwards.
    func decide(entries: [CacheEntry]?, tier: String?, target: RequestTarget, expectContinue: Bool) {
        guard let head = self.requestHead, var exchange = self.cache else { return }
        let now = NIODeadline.now()
        let nowMillis = Self.unixMillis()
        // Requests without their own cache directives (the usual case) reuse memoised decisions.
        let hasDirectives = head.headers.contains(name: "cache-control") || head.headers.contains(name: "pragma")
        let onlyIfCached = hasDirectives && CacheControl(head.headers).onlyIfCached
        var selected: CacheEntry?
        if let entries, !entries.isEmpty {
            // Variants of one URL nearly always share one `Vary` list: the request's secondary key is
            // computed once per distinct list, not once per stored variant (at most `cache.max_variants`).
            var lastFields: [String]?
            var requestKey = ""
            selected = entries.first { entry in
                guard let fields = CacheVary.fields(entry.meta.headers) else { return false }
                if fields != lastFields {
                    lastFields = fields
                    requestKey = CacheVary.variantKey(fields: fields, request: head.headers)
                }
                return requestKey == entry.meta.variantKey
            }
            exchange.status.fwd = selected == nil ? .varyMiss : exchange.status.fwd
        }
        exchange.tier = tier
        self.cache = exchange
        guard let entry = selected else {
            if onlyIfCached {
                return self.respondLater(.gatewayTimeout, "Not in cache (only-if-cached)\n")
            }
            self.runtime.stats.cacheMisses.wrappingIncrement(ordering: .relaxed)
            return self.fetchThroughCacheLock(key: exchange.primaryKey, target: target, expectContinue: expectContinue, now: now)
        }
        let stored = Self.storedResponse(entry)
        let derived = self.loop.hitMemo.derived(entry, nowMillis: nowMillis, options: exchange.route.policy, compression: self.runtime.compression)
        // Tern negotiates the content coding of compressible objects itself: freshness is
        // decided on the identity entry, the body served is the variant the client prefers.
        var served = entry
        if let compression = self.runtime.compression, let all = entries, derived.compressible {
            self.cache?.negotiated = true
            served = compression.select(identity: entry, among: all, request: head.headers)
        } else if derived.originEncoded {
            // Stored as the origin encoded it: passed through, or decoded for a client that
            // can't take that coding.
            self.cache?.negotiated = true
            if let decoded = self.decodedForClient(entry, request: head.headers) { served = decoded }
        }
        var decision = hasDirectives
            ? CachePolicy.reuse(request: head.headers, method: head.method, stored: stored, now: nowMillis, options: exchange.route.policy)
            : derived.decision
        if entry.meta.softPurged, decision == .fresh || decision == .staleWhileRevalidate { decision = .revalidate }
        switch decision {
        case .fresh:
            self.runtime.stats.cacheHits.wrappingIncrement(ordering: .relaxed)
            if tier == "disk" { self.runtime.stats.cacheDiskHits.wrappingIncrement(ordering: .relaxed) }
            self.serveFromCache(served, stale: false, nowMillis: nowMillis, timing: entry, freshness: derived.freshness)
        case .staleWhileRevalidate:
            self.runtime.stats.cacheStaleServed.wrappingIncrement(ordering: .relaxed)
            self.cache?.status.detail = "stale-while-revalidate"
            self.serveFromCache(served, stale: true, nowMillis: nowMillis, timing: entry)
            BackgroundRevalidator.start(loop: self.loop, poolIndex: self.poolIndex, entry: entry, request: head, route: exchange.route)
        case .revalidate:
            self.runtime.stats.cacheRevalidations.wrappingIncrement(ordering: .relaxed)
            self.cache?.mode = .revalidate(entry)
            self.cache?.status.fwd = .stale
            self.fetchThroughCacheLock(key: exchange.primaryKey, target: target, expectContinue: expectContinue, now: now)
        case .onlyIfCachedMiss:
            self.respondLater(.gatewayTimeout, "Not in cache (only-if-cached)\n")
        }
    }

    static func storedResponse(_ entry: CacheEntry) -> StoredResponse {
        StoredResponse(status: entry.meta.status, headers: entry.meta.headers, requestTime: entry.meta.requestTime, responseTime: entry.meta.responseTime)
    }

    /// Rewrites the upstream request of a cacheable exchange: the origin is asked for the full
    /// representation (client conditionals and ranges are evaluated here, against what is
    /// stored), `HEAD` becomes `GET`, and a revalidation carries the stored validators.
    func editUpstreamHeadForCache(_ head: inout HTTPRequestHead) {
        guard let exchange = self.cache else { return }
        self.cache?.fillGeneration = self.runtime.cache?.purgeGeneration ?? 0
        switch exchange.mode {
        case .bypass:
            return
        case .fill:
            break
        case .revalidate(let entry):
            for (name, value) in CachePolicy.validationHeaders(for: Self.storedResponse(entry)) {
                head.headers.replaceOrAdd(name: name, value: value)
            }
        }
        for name in ["if-match", "if-unmodified-since", "range", "if-range"] { head.headers.remove(name: name) }
        if case .fill = exchange.mode {
            head.headers.remove(name: "if-none-match")
            head.headers.remove(name: "if-modified-since")
        } else {
            // Keep only the validators this cache added (the stored entry's), not the client's.
            let ours = CachePolicy.validationHeaders(for: Self.storedResponse(exchange.mode.entry!))
            if !ours.contains(name: "if-none-match") { head.headers.remove(name: "if-none-match") }
            if !ours.contains(name: "if-modified-since") { head.headers.remove(name: "if-modified-since") }
        }
        if head.method == .HEAD { head.method = .GET }
    }

    // MARK: Serving stored responses

    /// Answers from a stored entry: client conditionals (RFC 9110 §13) and ranges (§14) are
    /// evaluated against it; `Age` and `Cache-Status` are added.
    func serveFromCache(_ entry: CacheEntry, stale: Bool, nowMillis: Int64, timing: CacheEntry? = nil, freshness known: Freshness? = nil) {
        guard let request = self.requestHead, var exchange = self.cache else { return }
        if self.clientGone {
            self.finishResponse()
            return
        }
        let freshness = known ?? CachePolicy.freshness(of: Self.storedResponse(timing ?? entry), now: nowMillis, options: exchange.route.policy)
        // RFC 9211: a hit was not forwarded; a revalidated response was (fwd=stale stays).
        if case .revalidate = exchange.mode {} else {
            exchange.status.hit = true
            exchange.status.fwd = nil
        }
        exchange.status.ttl = freshness.ttlRemaining
        self.cache = exchange
        self.phase = .finishing
        self.responseStarted = true

        var headers = self.hitHeaders(entry.meta.headers, age: CachePolicy.ageHeaderValue(freshness), bodyLength: entry.body.readableBytes, request: request)
        if exchange.negotiated { CompressionCoordinator.addVary(&headers) }

        // Validators are parsed only when the client sent a conditional or a range.
        let (hasConditionals, hasRange) = Self.conditionalFields(request.headers)
        let etag = hasConditionals || hasRange ? headers.first(name: "etag").flatMap { EntityTag(parsing: $0) } : nil
        let lastModified = hasConditionals || hasRange ? headers.first(name: "last-modified").flatMap { HTTPDate.parse($0) } : nil
        var status = HTTPResponseStatus(statusCode: entry.meta.status)
        var body = entry.body
        switch hasConditionals ? Conditionals.evaluate(method: request.method, headers: request.headers, etag: etag, lastModified: lastModified) : .proceed {
        case .notModified:
            status = .notModified
            headers = Self.notModifiedHeaders(headers)
            body = ByteBuffer()
        case .preconditionFailed:
            self.responseStatus = 412
            return self.sendLocalResponse(.preconditionFailed, "", extraHeaders: ["Cache-Status": exchange.status.headerValue])
        case .proceed:
            if hasRange, request.method == .GET, entry.meta.status == 200, let rangeHeader = request.headers.first(name: "range"),
               Conditionals.ifRangeMatches(headers: request.headers, etag: etag, lastModified: lastModified) {
                let length = Int64(entry.body.readableBytes)
                switch ByteRanges.resolve(header: rangeHeader, length: length) {
                case .full:
                    break
                case .unsatisfiable:
                    status = .rangeNotSatisfiable
                    headers.replaceOrAdd(name: "Content-Range", value: ByteRanges.unsatisfiedContentRange(length: length))
                    body = ByteBuffer()
                    headers.replaceOrAdd(name: "Content-Length", value: "0")
                case .satisfiable(let ranges) where ranges.count == 1:
                    let range = ranges[0]
                    status = .partialContent
                    headers.replaceOrAdd(name: "Content-Range", value: ByteRanges.contentRange(range, length: length))
                    body = entry.body.getSlice(at: entry.body.readerIndex + Int(range.lowerBound), length: Int(range.upperBound - range.lowerBound + 1)) ?? ByteBuffer()
                case .satisfiable(let ranges):
                    let contentType = headers.first(name: "content-type") ?? "application/octet-stream"
                    let multipart = ByteRanges.multipart(ranges: ranges, length: length, contentType: contentType, boundary: Self.boundary())
                    var assembled = self.context.channel.allocator.buffer(capacity: Int(multipart.contentLength))
                    for part in multipart.parts {
                        var partHeader = part.header
                        assembled.writeBuffer(&partHeader)
                        if var slice = entry.body.getSlice(at: entry.body.readerIndex + Int(part.range.lowerBound), length: Int(part.range.upperBound - part.range.lowerBound + 1)) {
                            assembled.writeBuffer(&slice)
                        }
                    }
                    var closing = multipart.closing
                    assembled.writeBuffer(&closing)
                    status = .partialContent
                    headers.replaceOrAdd(name: "Content-Type", value: multipart.contentType)
                    body = assembled
                }
            }
        }
        if status != .notModified && status != .noContent && body.readableBytes != entry.body.readableBytes {
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        }
        self.responseStatus = Int(status.code)
        self.writeResponseHead(status: status, headers: headers, request: request)
        if request.method != .HEAD, body.readableBytes > 0 {
            self.responseBytes += body.readableBytes
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        self.finishResponse()
    }

    /// The response fields for a hit, built in one pass: the stored fields without `Age`,
    /// `Cache-Status` and `CDN-Cache-Control`, then `Age`, `Cache-Status`, `Via` and a
    /// `Content-Length` for the stored body (RFC 9111 §4, §5.1; RFC 9211; RFC 9213 §2.1).
    func hitHeaders(_ stored: HTTPHeaders, age: String, bodyLength: Int, request: HTTPRequestHead) -> HTTPHeaders {
        // A plain array, wrapped once (as in ProxyHeaders): `HTTPHeaders.add` re-checks each name.
        var out: [(String, String)] = []
        out.reserveCapacity(stored.count + 4)
        var via: String?
        var hasLength = false
        for (name, value) in stored {
            switch name.utf8.count {
            case 3 where name.caseInsensitiveEquals("age"):
                continue
            case 3 where name.caseInsensitiveEquals("via"):
                via = via.map { "\($0), \(value)" } ?? value
                continue
            case 12 where name.caseInsensitiveEquals("cache-status"):
                continue
            case 14 where name.caseInsensitiveEquals("content-length"):
                hasLength = true
            case 17 where name.caseInsensitiveEquals("cdn-cache-control"):
                continue
            default:
                break
            }
            out.append((name, value))
        }
        out.append(("Age", age))
        if let status = self.cache?.status { out.append(("Cache-Status", status.headerValue)) }
        if let pseudonym = self.runtime.configuration.proxy.via {
            let hop = ProxyHeaders.viaHop(version: request.version, pseudonym: pseudonym)
            out.append(("Via", via.map { "\($0), \(hop)" } ?? hop))
        } else if let via {
            out.append(("Via", via))
        }
        if !hasLength { out.append(("Content-Length", String(bodyLength))) }
        return HTTPHeaders(out)
    }

    /// Whether the request carries conditional fields (`If-*` other than `If-Range`) or `Range`.
    static func conditionalFields(_ headers: HTTPHeaders) -> (conditionals: Bool, range: Bool) {
        var conditionals = false
        var range = false
        for (name, _) in headers {
            let utf8 = name.utf8
            if utf8.count == 5, name.caseInsensitiveEquals("range") {
                range = true
            } else if utf8.count > 3, let first = utf8.first, first | 0x20 == UInt8(ascii: "i"),
                      name.lowercased().hasPrefix("if-"), !name.caseInsensitiveEquals("if-range") {
                conditionals = true
            }
        }
        return (conditionals, range)
    }

    /// RFC 9110 §15.4.5: a 304 carries the fields a 200 would, minus representation metadata.
    static func notModifiedHeaders(_ headers: HTTPHeaders) -> HTTPHeaders {
        let keep: Set<String> = ["cache-control", "content-location", "date", "etag", "expires", "vary", "age", "cache-status", "via", "last-modified"]
        return HTTPHeaders(headers.filter { keep.contains($0.name.lowercased()) })
    }

    static func boundary() -> String {
        "tern-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// `Cache-Status`, `Via`, and no `CDN-Cache-Control` downstream (RFC 9213 §2.1); surrogate-key
    /// fields are removed too unless configured otherwise.
    /// `Cache-Status` as the client may be told it now: `stored` only once the object was stored —
    /// never while its body is still arriving (a fill in progress, or a waiter streaming from one).
    func renderedCacheStatus(_ status: CacheStatus) -> String {
        guard status.stored, let exchange = self.cache else { return status.headerValue }
        let incomplete = (exchange.fill != nil && !exchange.bodyComplete) || (exchange.waitingOn != nil && !exchange.bodyComplete)
        guard incomplete else { return status.headerValue }
        var shown = status
        shown.stored = false
        return shown.headerValue
    }

    func addCacheHeaders(_ headers: inout HTTPHeaders, request: HTTPRequestHead) {
        headers.remove(name: "cdn-cache-control")
        if self.runtime.configuration.cache.stripTagHeaders {
            for name in self.runtime.configuration.cache.tagHeaders where headers.contains(name: name) { headers.remove(name: name) }
        }
        if let status = self.cache?.status {
            headers.replaceOrAdd(name: "Cache-Status", value: self.renderedCacheStatus(status))
        }
        if let via = self.runtime.configuration.proxy.via {
            ProxyHeaders.appendVia(&headers, version: request.version, pseudonym: via)
        }
    }

    // MARK: Upstream responses on caching routes

    /// Handles a response head for an exchange with cache state. Returns `false` when the
    /// ordinary forwarding path should write it.
    func cacheReceivedUpstreamHead(_ head: HTTPResponseHead, request: HTTPRequestHead, headers: inout HTTPHeaders) -> Bool {
        guard var exchange = self.cache else { return false }
        let status = Int(head.status.code)
        let nowMillis = Self.unixMillis()
        exchange.status.fwdStatus = status
        let requestTime = self.upstreamRequestMillis ?? nowMillis

        switch exchange.mode {
        case .bypass(let invalidates):
            if invalidates { self.invalidate(after: head, request: request, route: exchange.route) }
            self.cache = exchange
            headers.remove(name: "cdn-cache-control")
            headers.replaceOrAdd(name: "Cache-Status", value: exchange.status.headerValue)
            return false
        case .revalidate(let entry) where status == 304:
            let stored = Self.storedResponse(entry)
            guard CachePolicy.notModifiedSelects(head.headers, stored: stored) else { break }
            let merged = CachePolicy.merge(notModified: head.headers, into: stored, requestTime: requestTime, responseTime: nowMillis, options: exchange.route.policy)
            var meta = entry.meta
            meta.headers = CacheFill.storedHeaders(merged.headers, hide: self.runtime.storedHeaderHide, options: exchange.route.policy)
            meta.requestTime = merged.requestTime
            meta.responseTime = merged.responseTime
            meta.softPurged = false
            self.runtime.cache?.updateMeta(meta)
            self.runtime.stats.cacheRevalidated304.wrappingIncrement(ordering: .relaxed)
            exchange.status.stored = true
            let merged304 = CacheEntry(meta: meta, body: entry.body)
            exchange.serveAfterUpstream = merged304
            exchange.serveAfterUpstreamIsStale = false
            self.cache = exchange
            self.releaseCacheLock(.entry(merged304))
            return true
        case .revalidate(let entry) where status >= 500:
            if CachePolicy.staleIfErrorAllowed(stored: Self.storedResponse(entry), request: request.headers, failure: .status(status), now: nowMillis, options: exchange.route.policy) {
                exchange.status.detail = "stale-if-error"
                exchange.serveAfterUpstream = entry
                exchange.serveAfterUpstreamIsStale = true
                self.cache = exchange
                self.runtime.stats.cacheStaleServed.wrappingIncrement(ordering: .relaxed)
                self.releaseCacheLock(.entry(entry))
                return true
            }
        default:
            break
        }

        // A full response (miss, or a changed representation on revalidation): store it if allowed.
        let decision = CachePolicy.storability(method: .GET, requestHeaders: request.headers, status: status, responseHeaders: head.headers, options: exchange.route.policy)
        switch decision {
        case .store:
            let storedHeaders = CacheFill.storedHeaders(head.headers, hide: self.runtime.storedHeaderHide, options: exchange.route.policy)
            let fields = CacheVary.fields(head.headers) ?? []
            let meta = CacheEntryMeta(
                primaryKey: exchange.primaryKey,
                variantKey: CacheVary.variantKey(fields: fields, request: request.headers),
                status: status, headers: storedHeaders, requestTime: requestTime, responseTime: nowMillis,
                bodyLength: 0, tags: self.runtime.surrogateKeys(head.headers), softPurged: false, lastAccess: nowMillis
            )
            let expected = head.headers.first(name: "content-length").flatMap { Int64($0) }
            exchange.fill = CacheFill(
                meta: meta, limit: exchange.route.policy.maxObjectSize, expectedLength: expected,
                reservation: MemoryReservation(ledger: self.runtime.memory, account: .fills)
            )
            exchange.status.stored = true
            // Small bodies are held until complete, so the head can say `stored` truthfully.
            exchange.holdUntilStored = (expected ?? Int64.max) <= Self.holdLimit
            exchange.bodyComplete = false
            let freshness = CachePolicy.freshness(
                of: StoredResponse(status: status, headers: head.headers, requestTime: requestTime, responseTime: nowMillis),
                now: nowMillis, options: exchange.route.policy
            )
            exchange.status.ttl = freshness.ttlRemaining
            if let fill = exchange.leading {
                fill.publishHead(status: status, headers: storedHeaders, variantKey: meta.variantKey, requestTime: requestTime, responseTime: nowMillis)
                self.runtime.fills?.clearHitForMiss(exchange.lockKey)
            }
        case .doNotStore(let reason):
            exchange.status.detail = reason.rawValue
            if case .revalidate(let entry) = exchange.mode, status < 500 {
                // The representation changed into something this cache may not keep.
                self.runtime.cache?.removeVariant(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey)
            }
            if !exchange.lockKey.isEmpty {
                // Never hand this response to waiters: they fetch on their own, and later
                // requests skip the lock for a while (hit-for-miss, renewed while it lasts).
                self.cache = exchange
                self.runtime.fills?.markHitForMiss(exchange.lockKey, now: .now())
                if exchange.leading != nil {
                    self.runtime.stats.cacheHitForMiss.wrappingIncrement(ordering: .relaxed)
                    self.releaseCacheLock(.uncacheable)
                }
                exchange = self.cache!
            }
        }

        if let compression = self.runtime.compression, exchange.fill != nil,
           compression.policy.shouldCompress(status: status, responseHeaders: head.headers, method: .GET) {
            exchange.negotiated = true
            CompressionCoordinator.addVary(&headers)
        }
        self.cache = exchange
        self.applyClientView(status: status, responseHeaders: head.headers, request: request, headers: &headers)
        return false
    }

    /// What the client gets from a full response that is (also) being stored: its own
    /// conditionals and a single range evaluated here (RFC 9110 §13, §14), HEAD without a body.
    func applyClientView(status: Int, responseHeaders: HTTPHeaders, request: HTTPRequestHead, headers: inout HTTPHeaders) {
        guard var exchange = self.cache else { return }
        if status == 200 {
            let etag = responseHeaders.first(name: "etag").flatMap { EntityTag(parsing: $0) }
            let lastModified = responseHeaders.first(name: "last-modified").flatMap { HTTPDate.parse($0) }
            switch Conditionals.evaluate(method: exchange.clientMethod, headers: request.headers, etag: etag, lastModified: lastModified) {
            case .notModified:
                headers = Self.notModifiedHeaders(headers)
                exchange.suppressBody = true
                self.cacheOverrideStatus = .notModified
            case .preconditionFailed:
                exchange.suppressBody = true
                headers = ["Content-Length": "0"]
                self.cacheOverrideStatus = .preconditionFailed
            case .proceed:
                if exchange.clientMethod == .GET, let rangeHeader = request.headers.first(name: "range"),
                   let length = responseHeaders.first(name: "content-length").flatMap({ Int64($0) }),
                   Conditionals.ifRangeMatches(headers: request.headers, etag: etag, lastModified: lastModified),
                   case .satisfiable(let ranges) = ByteRanges.resolve(header: rangeHeader, length: length), ranges.count == 1 {
                    exchange.slice = ranges[0]
                    headers.replaceOrAdd(name: "Content-Range", value: ByteRanges.contentRange(ranges[0], length: length))
                    headers.replaceOrAdd(name: "Content-Length", value: String(ranges[0].upperBound - ranges[0].lowerBound + 1))
                    self.cacheOverrideStatus = .partialContent
                }
            }
        }
        if exchange.clientMethod == .HEAD { exchange.suppressBody = true }
        self.cache = exchange
        self.addCacheHeaders(&headers, request: request)
    }

    /// Body bytes of a caching exchange: into the fill, and to the client unless suppressed or sliced.
    func cacheReceivedUpstreamBody(_ buffer: ByteBuffer) {
        guard var exchange = self.cache else { return self.writeClientBody(buffer) }
        if exchange.serveAfterUpstream != nil { return }
        exchange.fill?.append(buffer)
        if let fill = exchange.leading {
            fill.publishBody(buffer, keepForLateJoiners: !(exchange.fill?.overflowed ?? true))
        }
        let offset = exchange.bodyOffset
        exchange.bodyOffset += Int64(buffer.readableBytes)
        self.cache = exchange
        if exchange.suppressBody { return }
        guard let slice = exchange.slice else { return self.writeClientBody(buffer) }
        let start = max(slice.lowerBound, offset)
        let end = min(slice.upperBound + 1, offset + Int64(buffer.readableBytes))
        guard start < end, let part = buffer.getSlice(at: buffer.readerIndex + Int(start - offset), length: Int(end - start)) else { return }
        self.writeClientBody(part)
    }

    /// Responses being stored with a `Content-Length` up to this are held until complete.
    static let holdLimit: Int64 = 64 * 1024

    func writeClientBody(_ buffer: ByteBuffer) {
        if self.clientGone { return }
        guard let buffer = self.decodeForClient(buffer) else { return }
        if buffer.readableBytes == 0 { return }
        if self.heldHead != nil {
            self.heldBody.append(buffer)
            return
        }
        self.responseBytes += buffer.readableBytes
        self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if !self.context.channel.isWritable { self.connection?.handler.pauseReads() }
    }

    /// The origin finished the body: store a complete fill; serve a merged or stale entry.
    /// Returns `true` when the response to the client was produced here.
    func cacheReceivedUpstreamEnd() -> Bool {
        guard let exchange = self.cache else { return false }
        if let fill = exchange.fill {
            if let entry = fill.finish(allocator: ByteBufferAllocator()) {
                if let cache = self.runtime.cache, cache.store(entry, startedAtGeneration: exchange.fillGeneration) {
                    self.runtime.stats.cacheStored.wrappingIncrement(ordering: .relaxed)
                    self.afterStore(entry, cache: cache, generation: exchange.fillGeneration)
                } else {
                    self.cache?.status.stored = false  // purged while in flight: not stored
                }
                self.releaseCacheLock(.end)
            } else {
                self.cache?.status.stored = false
                // Too large to store but complete: waiters got every byte. Otherwise truncated.
                self.releaseCacheLock(fill.overflowed ? .end : .failed)
            }
            // The chunks are in the entry (or unusable): drop them and their charge now.
            self.cache?.fill = nil
        } else {
            self.releaseCacheLock(.end)
        }
        if let entry = exchange.serveAfterUpstream {
            self.serveFromCache(entry, stale: exchange.serveAfterUpstreamIsStale, nowMillis: Self.unixMillis())
            return true
        }
        return false
    }

    /// A new identity body replaces whatever encoded variants the old one had, and is encoded
    /// in the background when compressible.
    func afterStore(_ entry: CacheEntry, cache: TieredCache, generation: UInt64) {
        guard let compression = self.runtime.compression else { return }
        for coding in CompressionCoordinator.encodedCodings {
            cache.removeVariant(primaryKey: entry.meta.primaryKey, variantKey: CompressionCoordinator.variantKey(identity: entry.meta.variantKey, coding: coding))
        }
        compression.compressAndStore(entry, cache: cache, generation: cache.purgeGeneration)
    }

    /// The origin failed before a response head: serve stale if RFC 5861 allows.
    func cacheServeStaleOnFailure(_ failure: OriginFailure) -> Bool {
        guard let request = self.requestHead, let exchange = self.cache, case .revalidate(let entry) = exchange.mode else { return false }
        if let ready = exchange.serveAfterUpstream {
            // The 304 (or error head) already arrived; the connection failed afterwards.
            self.releaseCacheLock(.entry(ready))
            self.serveFromCache(ready, stale: exchange.serveAfterUpstreamIsStale, nowMillis: Self.unixMillis())
            return true
        }
        guard CachePolicy.staleIfErrorAllowed(stored: Self.storedResponse(entry), request: request.headers, failure: failure, now: Self.unixMillis(), options: exchange.route.policy) else {
            return false
        }
        self.cache?.status.detail = "stale-if-error"
        self.runtime.stats.cacheStaleServed.wrappingIncrement(ordering: .relaxed)
        self.releaseCacheLock(.entry(entry))
        self.serveFromCache(entry, stale: true, nowMillis: Self.unixMillis())
        return true
    }

    /// RFC 9111 §4.4: after a successful unsafe request, drop what is stored for the target and
    /// its same-origin `Location` / `Content-Location`.
    func invalidate(after head: HTTPResponseHead, request: HTTPRequestHead, route: RouteCacheRuntime) {
        guard let cache = self.runtime.cache, let target = RequestTarget(uri: request.uri) else { return }
        let host = target.host ?? request.headers.first(name: "host") ?? ""
        let uris = CachePolicy.invalidationTargets(
            method: request.method, status: Int(head.status.code), requestPath: target.path,
            requestQuery: target.query, requestHost: host, responseHeaders: head.headers
        )
        for uri in uris {
            guard let target = RequestTarget(uri: uri),
                  let canonical = try? CanonicalRequest.make(target: target, hostField: host, options: .init(encodedSlashes: .keep)),
                  // Each URI is stored under its own route's partition (a Location may name another route).
                  let routeIndex = self.runtime.routeTable.match(host: canonical.authority, path: canonical.path),
                  let uriRoute = self.runtime.routeCache[routeIndex]
            else { continue }
            let key = CacheKey.primary(
                scheme: "http", host: canonical.authority ?? "", path: canonical.path, query: canonical.query,
                requestHeaders: request.headers, options: uriRoute.key, partition: self.runtime.routePartition[routeIndex]
            )
            cache.remove(primaryKey: key)
            self.runtime.stats.cacheInvalidations.wrappingIncrement(ordering: .relaxed)
        }
    }

    /// Short cache outcome for the access log.
    var cacheLogValue: String? {
        guard let exchange = self.cache else { return nil }
        if exchange.status.hit { return exchange.tier == "disk" ? "HIT-DISK" : "HIT" }
        switch exchange.mode {
        case .bypass: return "BYPASS"
        case .fill: return exchange.status.stored ? "MISS-STORED" : "MISS"
        case .revalidate: return exchange.serveAfterUpstreamIsStale ? "STALE" : (exchange.status.fwdStatus == 304 ? "REVALIDATED" : "EXPIRED")
        }
    }
}

extension CacheExchange.Mode {
    var entry: CacheEntry? {
        if case .revalidate(let entry) = self { return entry }
        return nil
    }
}

extension HTTPMethod {
    /// RFC 9110 §9.2.1.
    var isSafe: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .TRACE: return true
        default: return false
        }
    }
}
