import Atomics
import Logging
import NIOCore
import NIOPosix
import TernBalancer
import TernConfig
import TernCore
import TernFileOrigin
import TernPolicy
import NIOHTTP1
import TernStorage

/// Where a route sends its requests.
enum RouteTarget: Sendable {
    case pool(Int)
    case file(Int)
}

/// Counters of the data plane (read by tests now, by the stats surface later).
public final class ProxyStats: Sendable {
    public let connectionsAccepted = ManagedAtomic<Int>(0)
    public let connectionsOpen = ManagedAtomic<Int>(0)
    public let connectionsRejected = ManagedAtomic<Int>(0)
    public let requests = ManagedAtomic<Int>(0)
    public let upstreamConnectionsOpened = ManagedAtomic<Int>(0)
    public let upstreamRetries = ManagedAtomic<Int>(0)
    public let responses5xx = ManagedAtomic<Int>(0)
    public let cacheHits = ManagedAtomic<Int>(0)
    public let cacheDiskHits = ManagedAtomic<Int>(0)
    public let cacheMisses = ManagedAtomic<Int>(0)
    public let cacheBypass = ManagedAtomic<Int>(0)
    public let cacheStaleServed = ManagedAtomic<Int>(0)
    public let cacheRevalidations = ManagedAtomic<Int>(0)
    public let cacheRevalidated304 = ManagedAtomic<Int>(0)
    public let cacheBackgroundRevalidations = ManagedAtomic<Int>(0)
    public let cacheStored = ManagedAtomic<Int>(0)
    public let cacheInvalidations = ManagedAtomic<Int>(0)
    public let cacheCoalesced = ManagedAtomic<Int>(0)
    public let cacheCoalescedFailures = ManagedAtomic<Int>(0)
    public let cacheLockTimeouts = ManagedAtomic<Int>(0)
    public let cacheHitForMiss = ManagedAtomic<Int>(0)
    public let cacheHitForMissForwarded = ManagedAtomic<Int>(0)
    public let bytesServed = ManagedAtomic<Int>(0)
    public let bytesServedFromCache = ManagedAtomic<Int>(0)
    public let bytesFromOrigins = ManagedAtomic<Int>(0)
    public let startedAt = NIODeadline.now()
}

/// A caching route's policy inputs, derived once from configuration.
struct RouteCacheRuntime: Sendable {
    var policy: CachePolicyOptions
    var key: CacheKeyOptions

    init(global: CacheConfig, route: RouteCacheConfig) {
        self.policy = CachePolicyOptions(
            heuristicFraction: global.heuristicFraction,
            heuristicMaxTTL: Self.seconds(global.heuristicMaxTTL),
            cacheSetCookie: route.cacheSetCookie,
            forceTTL: route.forceTTL.map(Self.seconds),
            minTTL: route.minTTL.map(Self.seconds),
            negativeTTL: route.negativeTTL.map(Self.seconds),
            bypass: route.bypass,
            maxObjectSize: global.maxObjectSize.bytes
        )
        self.key = route.key
    }

    static func seconds(_ duration: Duration) -> Int64 { duration.components.seconds }
}

/// Everything the data plane needs, built once from a validated configuration and shared
/// read-only by every event loop.
public final class ProxyRuntime: Sendable {
    public let configuration: TernConfiguration
    let routeTable: RouteTable
    let routeTargets: [RouteTarget]
    public let pools: [OriginPool]
    let fileOrigins: [FileOrigin]
    let trustedProxies: [IPAddressRange]
    let hideResponseHeaders: [String]
    public let accessLog: AccessLogSink?
    public let stats = ProxyStats()
    let fileIO: NonBlockingFileIO
    /// The tiered cache, or `nil` when caching is off.
    public let cache: TieredCache?
    /// Per route index: cache policy inputs, or `nil` for routes that never cache (file origins).
    let routeCache: [RouteCacheRuntime?]
    /// The cache lock table (request coalescing), when caching is on.
    let fills: FillTable?
    /// Purges (admin API, PURGE method), when caching is on.
    public let purger: CachePurger?
    /// Encodes stored objects in br and gzip, when caching is on.
    public let compression: CompressionCoordinator?
    /// ACLs, rate limits and the WAF, when any is configured.
    public let security: SecurityGate?
    /// Per listener index: how its requests are canonicalised.
    let canonicalization: [CanonicalizationOptions]
    /// Per route index: the client request fields removed before anything reads them.
    let strippedRequestFields: [FieldNameSet]
    /// Per route index: the origin pool's name, part of every cache key of the route (so no spelling of
    /// one route's URL can fill an entry another route serves, and a route moved to another origin
    /// never serves the old origin's objects).
    let routePartition: [String]
    /// What the cache path holds besides the memory tier, against its budgets (Docs/reliability.md).
    public let memory: MemoryLedger

    public init(
        configuration: TernConfiguration, fileIO: NonBlockingFileIO, accessLog: AccessLogSink?, cache: TieredCache?,
        threadPool: NIOThreadPool? = nil, security: SecurityGate? = nil, logger: Logger = Logger(label: "tern")
    ) throws {
        self.security = (security?.isActive ?? false) ? security : nil
        self.configuration = configuration
        self.canonicalization = configuration.listeners.map { CanonicalizationOptions(encodedSlashes: $0.encodedSlashes, defaultPort: 80) }
        self.strippedRequestFields = configuration.routes.map { FieldNameSet($0.stripRequestFields) }
        self.routePartition = configuration.routes.map(\.origin)
        self.fileIO = fileIO
        self.accessLog = accessLog
        self.cache = cache
        self.purger = cache.map { CachePurger(cache: $0) }
        let memory = MemoryLedger(budget: MemoryBudget(
            memory: cache?.memory.limit ?? 0,
            diskQueue: cache?.disk?.configuration.maxQueueBytes ?? 0,
            workers: configuration.workers ?? System.coreCount
        ))
        self.memory = memory
        self.compression = cache != nil && threadPool != nil
            ? CompressionCoordinator(policy: CompressionPolicy(), threadPool: threadPool!, ledger: memory) : nil
        self.fills = cache == nil ? nil : FillTable(
            maxWaiters: configuration.cache.maxWaiters,
            hitForMiss: TimeAmount(configuration.cache.hitForMiss),
            ledger: memory
        )
        var pools: [OriginPool] = []
        var fileOrigins: [FileOrigin] = []
        var targetByName: [String: RouteTarget] = [:]
        for origin in configuration.origins {
            switch origin.kind {
            case .http(let http):
                do {
                    pools.append(try OriginPool(name: origin.name, config: http, logger: logger))
                } catch {
                    throw TernProxyError.originSetup(pool: origin.name, reason: "\(error)")
                }
                targetByName[origin.name] = .pool(pools.count - 1)
            case .file(let file):
                do {
                    fileOrigins.append(try FileOrigin(root: file.root, cacheControl: file.cacheControl, index: file.index))
                } catch {
                    throw TernProxyError.originSetup(pool: origin.name, reason: "\(error)")
                }
                targetByName[origin.name] = .file(fileOrigins.count - 1)
            }
        }
        var entries: [RouteTable.Entry] = []
        var targets: [RouteTarget] = []
        for route in configuration.routes {
            guard let target = targetByName[route.origin] else {
                throw TernProxyError.originSetup(pool: route.origin, reason: "route names a missing origin")
            }
            // Prefixes are matched against canonical paths, so they are canonicalised too (`/%7Eu` is `/~u`).
            let prefix = (try? CanonicalRequest.canonicalPath(route.pathPrefix, encodedSlashes: .keep)) ?? route.pathPrefix
            entries.append(RouteTable.Entry(host: route.host, pathPrefix: prefix, target: targets.count))
            targets.append(target)
        }
        self.routeTable = RouteTable(entries)
        self.routeTargets = targets
        self.routeCache = zip(configuration.routes, targets).map { route, target in
            guard cache != nil, case .pool = target else { return nil }
            return RouteCacheRuntime(global: configuration.cache, route: route.cache)
        }
        self.pools = pools
        self.fileOrigins = fileOrigins
        self.trustedProxies = configuration.proxy.trustedProxies
        self.hideResponseHeaders = configuration.proxy.hideResponseHeaders
    }

    /// Fields never stored with an object: the hidden ones, plus the surrogate-key fields when
    /// they are stripped from responses (their values live in the entry's tags).
    var storedHeaderHide: [String] {
        self.configuration.cache.stripTagHeaders ? self.hideResponseHeaders + self.configuration.cache.tagHeaders : self.hideResponseHeaders
    }

    /// Surrogate keys (cache tags) of a response: the configured fields' values, split on spaces
    /// and commas, deduplicated in order.
    func surrogateKeys(_ headers: HTTPHeaders) -> [String] {
        var tags: [String] = []
        for name in self.configuration.cache.tagHeaders {
            for value in headers[name] {
                for tag in value.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) where !tags.contains(String(tag)) {
                    tags.append(String(tag))
                }
            }
        }
        return tags
    }

    /// Whether `address` (text form) is inside a configured trusted-proxy range.
    func isTrusted(_ address: String) -> Bool {
        guard !self.trustedProxies.isEmpty, let ip = IPAddress(address) else { return false }
        return self.trustedProxies.contains { $0.contains(ip) }
    }
}

/// Per-event-loop state: balancer cursors and connection pools. Loop-bound, never shared.
final class LoopContext {
    let eventLoop: any EventLoop
    let runtime: ProxyRuntime
    private var balancers: [Balancer]
    let connectionPools: [[UpstreamConnectionPool]]
    /// Memos of per-entry policy results and of URL-only cache keys (hot-path savings).
    let hitMemo: HitMemo
    let keyMemo: KeyMemo

    init(eventLoop: any EventLoop, runtime: ProxyRuntime) {
        self.eventLoop = eventLoop
        self.runtime = runtime
        self.hitMemo = HitMemo(ledger: runtime.memory)
        self.keyMemo = KeyMemo(ledger: runtime.memory)
        self.balancers = runtime.pools.map { Balancer(policy: $0.balancingPolicy, weights: $0.members.map(\.weight)) }
        self.connectionPools = runtime.pools.map { pool in
            pool.members.map { member in
                UpstreamConnectionPool(
                    member: member,
                    eventLoop: eventLoop,
                    limits: pool.config.connections,
                    connectTimeout: TimeAmount(pool.config.timeouts.connect),
                    responseLimits: HTTP1DecoderLimits(origin: pool.config.responseLimits)
                )
            }
        }
    }

    /// Picks a member of pool `poolIndex` that is available and not in `excluding`.
    func pickMember(poolIndex: Int, hashKey: String, excluding: Int?, now: NIODeadline) -> OriginMember? {
        let members = self.runtime.pools[poolIndex].members
        let index = self.balancers[poolIndex].pick(
            hashKey: hashKey,
            inFlight: { members[$0].inFlight.load(ordering: .relaxed) },
            isAvailable: { $0 != excluding && members[$0].isAvailable(now: now) }
        )
        return index.map { members[$0] }
    }

    func connectionPool(poolIndex: Int, member: OriginMember) -> UpstreamConnectionPool {
        self.connectionPools[poolIndex][member.index]
    }

    func closeIdleConnections() {
        for pools in self.connectionPools {
            for pool in pools { pool.closeIdle() }
        }
    }
}
