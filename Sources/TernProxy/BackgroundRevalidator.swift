import NIOCore
import NIOHTTP1
import TernBalancer
import TernPolicy
import TernStorage

/// Refreshes a stale entry in the background after it was served under `stale-while-revalidate`
/// (RFC 5861 §3): one conditional request per object at a time, across all event loops.
///
/// A 304 updates the stored headers (RFC 9111 §4.3.4); a storable 200 replaces the entry; any other
/// non-error answer removes it; errors leave it as it is (it simply keeps aging).
final class BackgroundRevalidator: UpstreamConnectionRequester, UpstreamDelegate {
    private let loop: LoopContext
    private let poolIndex: Int
    private let entry: CacheEntry
    private let request: HTTPRequestHead
    private let route: RouteCacheRuntime
    private var member: OriginMember?
    private var connection: UpstreamConnection?
    private var fill: CacheFill?
    private var requestMillis: Int64 = 0
    private var timeout: Scheduled<Void>?
    private var done = false
    private var generation: UInt64 = 0

    private init(loop: LoopContext, poolIndex: Int, entry: CacheEntry, request: HTTPRequestHead, route: RouteCacheRuntime) {
        self.loop = loop
        self.poolIndex = poolIndex
        self.entry = entry
        self.request = request
        self.route = route
    }

    /// Starts a refresh unless one for the same object is already running on this loop.
    static func start(loop: LoopContext, poolIndex: Int, entry: CacheEntry, request: HTTPRequestHead, route: RouteCacheRuntime) {
        let key = entry.meta.primaryKey + "\u{1F}" + entry.meta.variantKey
        guard let fills = loop.runtime.fills, fills.beginRevalidation(key) else { return }
        let revalidator = BackgroundRevalidator(loop: loop, poolIndex: poolIndex, entry: entry, request: request, route: route)
        guard let member = loop.pickMember(poolIndex: poolIndex, hashKey: request.uri, excluding: nil, now: .now()) else {
            fills.endRevalidation(key)
            return
        }
        revalidator.member = member
        loop.runtime.stats.cacheBackgroundRevalidations.wrappingIncrement(ordering: .relaxed)
        loop.connectionPool(poolIndex: poolIndex, member: member).acquire(for: revalidator)
    }

    private var key: String { self.entry.meta.primaryKey + "\u{1F}" + self.entry.meta.variantKey }

    private func finish() {
        guard !self.done else { return }
        self.done = true
        self.timeout?.cancel()
        self.loop.runtime.fills?.endRevalidation(self.key)
    }

    func connectionReady(_ connection: UpstreamConnection) {
        guard !self.done, let member = self.member else {
            connection.pool.release(connection, reusable: true)
            return
        }
        self.connection = connection
        connection.handler.delegate = self
        var headers = self.request.headers
        ProxyHeaders.stripHopByHop(&headers)
        for name in ["if-match", "if-unmodified-since", "if-none-match", "if-modified-since", "range", "if-range", "expect", "content-length"] {
            headers.remove(name: name)
        }
        for (name, value) in CachePolicy.validationHeaders(for: ProxyHandler.storedResponse(self.entry)) {
            headers.replaceOrAdd(name: name, value: value)
        }
        if let via = self.loop.runtime.configuration.proxy.via {
            ProxyHeaders.appendVia(&headers, version: .http1_1, pseudonym: via)
        }
        if !headers.contains(name: "host") { headers.add(name: "Host", value: member.authority) }
        var uri = self.request.uri
        if let target = RequestTarget(uri: uri), target.host != nil {
            uri = target.query.map { "\(target.path)?\($0)" } ?? target.path
        }
        if !member.url.basePath.isEmpty { uri = member.url.basePath + uri }
        self.requestMillis = ProxyHandler.unixMillis()
        self.generation = self.loop.runtime.cache?.purgeGeneration ?? 0
        connection.handler.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: headers)))
        connection.handler.write(.end(nil))
        connection.handler.flush()
        let firstByte = TimeAmount(self.loop.runtime.pools[self.poolIndex].config.timeouts.firstByte)
        self.timeout = self.loop.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: firstByte) { [self] in
            self.abandon()
        }
    }

    func connectionFailed(_ error: any Error) {
        self.member?.recordRequest(.failure(.connect), now: .now(), on: self.loop.eventLoop)
        self.finish()
    }

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head):
            self.receivedHead(head)
        case .body(let buffer):
            self.fill?.append(buffer)
        case .end:
            if let connection = self.connection {
                self.connection = nil
                connection.pool.release(connection, reusable: self.upstreamKeepAlive)
            }
            if let entry = self.fill?.finish(allocator: ByteBufferAllocator()),
               self.loop.runtime.cache?.store(entry, startedAtGeneration: self.generation) ?? false {
                self.loop.runtime.stats.cacheStored.wrappingIncrement(ordering: .relaxed)
            }
            self.member?.recordRequest(.response(status: self.responseStatus), now: .now(), on: self.loop.eventLoop)
            self.finish()
        }
    }

    private var upstreamKeepAlive = false
    private var responseStatus = 200

    private func receivedHead(_ head: HTTPResponseHead) {
        self.upstreamKeepAlive = ProxyHeaders.isKeepAlive(head.headers, version: head.version)
        let now = ProxyHandler.unixMillis()
        let status = Int(head.status.code)
        self.responseStatus = status
        let cache = self.loop.runtime.cache
        let stored = ProxyHandler.storedResponse(self.entry)
        if status == 304 {
            guard CachePolicy.notModifiedSelects(head.headers, stored: stored) else { return }
            let merged = CachePolicy.merge(notModified: head.headers, into: stored, requestTime: self.requestMillis, responseTime: now, options: self.route.policy)
            var meta = self.entry.meta
            meta.headers = CacheFill.storedHeaders(merged.headers, hide: self.loop.runtime.storedHeaderHide, options: self.route.policy)
            meta.requestTime = merged.requestTime
            meta.responseTime = merged.responseTime
            meta.softPurged = false
            cache?.updateMeta(meta)
            self.loop.runtime.stats.cacheRevalidated304.wrappingIncrement(ordering: .relaxed)
            return
        }
        if status >= 500 { return }
        switch CachePolicy.storability(method: .GET, requestHeaders: self.request.headers, status: status, responseHeaders: head.headers, options: self.route.policy) {
        case .store:
            let fields = CacheVary.fields(head.headers) ?? []
            let meta = CacheEntryMeta(
                primaryKey: self.entry.meta.primaryKey,
                variantKey: CacheVary.variantKey(fields: fields, request: self.request.headers),
                status: status,
                headers: CacheFill.storedHeaders(head.headers, hide: self.loop.runtime.storedHeaderHide, options: self.route.policy),
                requestTime: self.requestMillis, responseTime: now,
                bodyLength: 0, tags: self.loop.runtime.surrogateKeys(head.headers), softPurged: false, lastAccess: now
            )
            let expected = head.headers.first(name: "content-length").flatMap { Int64($0) }
            self.fill = CacheFill(meta: meta, limit: self.route.policy.maxObjectSize, expectedLength: expected)
        case .doNotStore:
            cache?.removeVariant(primaryKey: self.entry.meta.primaryKey, variantKey: self.entry.meta.variantKey)
        }
    }

    func upstreamReadComplete() {}

    func upstreamWritabilityChanged(isWritable: Bool) {}

    func upstreamFailed(_ error: any Error) {
        self.fill = nil
        if let connection = self.connection {
            self.connection = nil
            connection.pool.release(connection, reusable: false)
        }
        self.member?.recordRequest(.failure(RequestOutcome.kind(of: error)), now: .now(), on: self.loop.eventLoop)
        self.finish()
    }

    private func abandon() {
        self.timeout = nil
        if self.connection != nil { self.member?.recordRequest(.failure(.timeout), now: .now(), on: self.loop.eventLoop) }
        self.fill = nil
        if let connection = self.connection {
            self.connection = nil
            connection.handler.delegate = nil
            connection.pool.release(connection, reusable: false)
        }
        self.finish()
    }
}
