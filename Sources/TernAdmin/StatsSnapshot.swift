import Foundation

/// Everything `GET /stats` reports, and the source of every Prometheus metric (see ``MetricCatalog``).
///
/// Counters are totals since the process started; gauges are current values. The backend fills the counters;
/// the ratios (``CacheCounters/hitRatio``, ``ByteCounters/hitRatio``) are derived by ``withDerivedRatios()``,
/// which ``AdminServer`` applies before rendering, so a backend leaves them at 0.
/// JSON keys are the Swift property names (camelCase). Times are ISO 8601.
public struct StatsSnapshot: Codable, Sendable, Equatable {
    /// Seconds since the process started.
    public var uptimeSeconds: Double
    /// Client requests answered (every status, every outcome).
    public var requests: Int
    /// Cache outcomes.
    public var cache: CacheCounters
    /// Bytes to clients and from origins.
    public var bytes: ByteCounters
    /// Each storage tier (`memory`, `disk`).
    public var tiers: [TierStats]
    /// Purge activity.
    public var purges: PurgeCounters
    /// Each origin member of each pool.
    public var origins: [OriginMemberStats]
    /// Each content coding Tern compresses to (`br`, `gzip`).
    public var compression: [CompressionStats]
    /// Web application firewall.
    public var waf: WAFStats
    /// Requests rejected by rate limiting, by policy name.
    public var rateLimitRejections: [String: Int]
    /// Requests denied by an access-control list (client address not allowed).
    public var aclDenials: Int
    /// Client connections on the data listeners.
    public var connections: ConnectionStats
    /// What the process holds in memory, by account, against the memory bound (Docs/reliability.md).
    public var memory: MemoryStats
    /// The latest purges, newest first (for the dashboard; at most a few dozen).
    public var recentPurges: [PurgeEvent]
    /// The latest WAF blocks, newest first (for the dashboard; at most a few dozen).
    public var recentWAFBlocks: [WAFEvent]

    /// Creates a snapshot; everything defaults to zero or empty.
    public init(
        uptimeSeconds: Double = 0,
        requests: Int = 0,
        cache: CacheCounters = CacheCounters(),
        bytes: ByteCounters = ByteCounters(),
        tiers: [TierStats] = [],
        purges: PurgeCounters = PurgeCounters(),
        origins: [OriginMemberStats] = [],
        compression: [CompressionStats] = [],
        waf: WAFStats = WAFStats(),
        rateLimitRejections: [String: Int] = [:],
        aclDenials: Int = 0,
        connections: ConnectionStats = ConnectionStats(),
        memory: MemoryStats = MemoryStats(),
        recentPurges: [PurgeEvent] = [],
        recentWAFBlocks: [WAFEvent] = []
    ) {
        self.uptimeSeconds = uptimeSeconds
        self.requests = requests
        self.cache = cache
        self.bytes = bytes
        self.tiers = tiers
        self.purges = purges
        self.origins = origins
        self.compression = compression
        self.waf = waf
        self.rateLimitRejections = rateLimitRejections
        self.aclDenials = aclDenials
        self.connections = connections
        self.memory = memory
        self.recentPurges = recentPurges
        self.recentWAFBlocks = recentWAFBlocks
    }

    /// This snapshot with ``CacheCounters/hitRatio`` and ``ByteCounters/hitRatio`` computed from the counters.
    public func withDerivedRatios() -> StatsSnapshot {
        var copy = self
        copy.cache.hitRatio = copy.cache.computedHitRatio
        copy.bytes.hitRatio = copy.bytes.served > 0
            ? Double(copy.bytes.servedFromCache) / Double(copy.bytes.served) : 0
        return copy
    }
}

/// What the cache did with requests. Every cacheable request lands in exactly one of: a hit (memory or disk),
/// stale served, a revalidation (304 or 200), a coalesced wait, or a miss. Bypassed and hit-for-miss requests are
/// not cacheable and are counted apart.
public struct CacheCounters: Codable, Sendable, Equatable {
    /// Fresh hits from the memory tier.
    public var hitsMemory: Int
    /// Fresh hits from the disk tier.
    public var hitsDisk: Int
    /// Misses: fetched from an origin and (when storable) stored.
    public var misses: Int
    /// Stale objects served (`stale-while-revalidate`, `stale-if-error`).
    public var staleServed: Int
    /// Revalidations the origin answered with 304 (the stored object was reused).
    public var revalidatedNotModified: Int
    /// Revalidations the origin answered with a full response (200).
    public var revalidatedModified: Int
    /// Requests answered by waiting for another request's fetch of the same object.
    public var coalesced: Int
    /// Requests that skipped the cache by configuration or by request (route `bypass`, `no-store`, method).
    public var bypassed: Int
    /// Requests that skipped the waiting list because the object recently proved uncacheable.
    public var hitForMiss: Int
    /// Waits for another request's fetch that gave up after `cache.lock_timeout`.
    public var lockTimeouts: Int
    /// Derived: (hits + stale served + 304 revalidations + coalesced) / (that + misses + 200 revalidations).
    public var hitRatio: Double

    /// Creates counters; everything defaults to zero.
    public init(
        hitsMemory: Int = 0, hitsDisk: Int = 0, misses: Int = 0, staleServed: Int = 0,
        revalidatedNotModified: Int = 0, revalidatedModified: Int = 0, coalesced: Int = 0, bypassed: Int = 0,
        hitForMiss: Int = 0, lockTimeouts: Int = 0, hitRatio: Double = 0
    ) {
        self.hitsMemory = hitsMemory
        self.hitsDisk = hitsDisk
        self.misses = misses
        self.staleServed = staleServed
        self.revalidatedNotModified = revalidatedNotModified
        self.revalidatedModified = revalidatedModified
        self.coalesced = coalesced
        self.bypassed = bypassed
        self.hitForMiss = hitForMiss
        self.lockTimeouts = lockTimeouts
        self.hitRatio = hitRatio
    }

    /// The hit ratio by requests as defined at ``hitRatio``; 0 before the first cacheable request.
    public var computedHitRatio: Double {
        let served = self.hitsMemory + self.hitsDisk + self.staleServed + self.revalidatedNotModified + self.coalesced
        let total = served + self.misses + self.revalidatedModified
        return total > 0 ? Double(served) / Double(total) : 0
    }
}

/// Body bytes sent to clients and received from origins.
public struct ByteCounters: Codable, Sendable, Equatable {
    /// Response body bytes sent to clients.
    public var served: Int
    /// The part of ``served`` that came from the cache.
    public var servedFromCache: Int
    /// Response body bytes received from origins.
    public var fetchedFromOrigins: Int
    /// Derived: ``servedFromCache`` / ``served`` (the byte hit ratio).
    public var hitRatio: Double

    /// Creates counters; everything defaults to zero.
    public init(served: Int = 0, servedFromCache: Int = 0, fetchedFromOrigins: Int = 0, hitRatio: Double = 0) {
        self.served = served
        self.servedFromCache = servedFromCache
        self.fetchedFromOrigins = fetchedFromOrigins
        self.hitRatio = hitRatio
    }
}

/// One storage tier against its limit.
public struct TierStats: Codable, Sendable, Equatable {
    /// `memory` or `disk`.
    public var name: String
    /// Objects (variants) stored.
    public var objects: Int
    /// Bytes stored (headers and bodies).
    public var bytes: Int
    /// The tier's capacity in bytes (`cache.memory`, `cache.disk.size`).
    public var limitBytes: Int
    /// Objects evicted to make room since start.
    public var evictions: Int
    /// Disk tier: writes stopped after a failure (disk full, I/O error) until a probe succeeds.
    public var readOnly: Bool
    /// Disk tier: failed commits by kind (`no_space`, `io`, `read_only_fs`, `map_full`, `other`).
    public var writeFailures: [String: Int]
    /// Disk tier: objects not stored (queue full, read-only, failed commit, larger than the map).
    public var droppedWrites: Int
    /// Disk tier: bodies whose checksum did not match on read (deleted and missed).
    public var checksumFailures: Int
    /// Disk tier: 1 when the store was found damaged at start and replaced by an empty one.
    public var damageResets: Int
    /// Disk tier: times a full LMDB map (`MDB_MAP_FULL`) was recovered from by evicting (no write lost).
    public var mapFullRecoveries: Int

    /// Creates tier statistics.
    public init(
        name: String, objects: Int = 0, bytes: Int = 0, limitBytes: Int = 0, evictions: Int = 0, readOnly: Bool = false,
        writeFailures: [String: Int] = [:], droppedWrites: Int = 0, checksumFailures: Int = 0, damageResets: Int = 0,
        mapFullRecoveries: Int = 0
    ) {
        self.mapFullRecoveries = mapFullRecoveries
        self.name = name
        self.objects = objects
        self.bytes = bytes
        self.limitBytes = limitBytes
        self.evictions = evictions
        self.readOnly = readOnly
        self.writeFailures = writeFailures
        self.droppedWrites = droppedWrites
        self.checksumFailures = checksumFailures
        self.damageResets = damageResets
    }
}

/// Purges since start.
public struct PurgeCounters: Codable, Sendable, Equatable {
    /// Purge requests executed (admin `POST /purge` and the `PURGE` method; dry runs excluded).
    public var requests: Int
    /// Objects deleted by hard purges.
    public var hardPurgedObjects: Int
    /// Objects marked stale by soft purges.
    public var softPurgedObjects: Int

    /// Creates counters; everything defaults to zero.
    public init(requests: Int = 0, hardPurgedObjects: Int = 0, softPurgedObjects: Int = 0) {
        self.requests = requests
        self.hardPurgedObjects = hardPurgedObjects
        self.softPurgedObjects = softPurgedObjects
    }
}

/// One member of an origin pool.
public struct OriginMemberStats: Codable, Sendable, Equatable {
    /// The member's health as a stable word.
    public enum Health: String, Codable, Sendable, Equatable, CaseIterable {
        /// Receiving requests.
        case healthy
        /// Taken out by active health checks.
        case unhealthy
        /// Taken out by passive health (failed requests) until its cooldown ends.
        case ejected
        /// No check has run yet.
        case unknown
    }

    /// The pool's name.
    public var pool: String
    /// The member's URL.
    public var url: String
    /// Current health.
    public var health: Health
    /// Median response latency (first byte) in milliseconds, over a recent window.
    public var latencyP50Ms: Double
    /// 99th percentile response latency (first byte) in milliseconds, over a recent window.
    public var latencyP99Ms: Double
    /// Failed requests (connect errors, timeouts, resets) since start.
    public var errors: Int
    /// Open connections, idle or busy, across workers.
    public var openConnections: Int
    /// Requests sent since start.
    public var requests: Int
    /// Times the member was taken out (passive ejection or failed probes), by reason
    /// (`connect`, `reset`, `timeout`, `invalid_response`, `5xx`, `probe`).
    public var ejections: [String: Int]
    /// Ejections not carried out because the member was its pool's last available one, by reason.
    public var ejectionsSuppressed: [String: Int]
    /// Returns to service after an ejection or failed probes.
    public var returns: Int

    /// Creates member statistics.
    public init(
        pool: String, url: String, health: Health, latencyP50Ms: Double = 0, latencyP99Ms: Double = 0,
        errors: Int = 0, openConnections: Int = 0, requests: Int = 0, ejections: [String: Int] = [:],
        ejectionsSuppressed: [String: Int] = [:], returns: Int = 0
    ) {
        self.ejections = ejections
        self.ejectionsSuppressed = ejectionsSuppressed
        self.returns = returns
        self.pool = pool
        self.url = url
        self.health = health
        self.latencyP50Ms = latencyP50Ms
        self.latencyP99Ms = latencyP99Ms
        self.errors = errors
        self.openConnections = openConnections
        self.requests = requests
    }
}

/// Compression to one content coding.
public struct CompressionStats: Codable, Sendable, Equatable {
    /// The coding, `br` or `gzip`.
    public var coding: String
    /// Bytes before compression.
    public var bytesIn: Int
    /// Bytes after compression.
    public var bytesOut: Int
    /// Bodies compressed.
    public var compressions: Int

    /// Creates compression statistics.
    public init(coding: String, bytesIn: Int = 0, bytesOut: Int = 0, compressions: Int = 0) {
        self.coding = coding
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.compressions = compressions
    }
}

/// Web application firewall.
public struct WAFStats: Codable, Sendable, Equatable {
    /// Requests blocked, by the id of the rule that decided (e.g. `949110`).
    public var blocksByRule: [String: Int]
    /// Rule matches that did not block (detection-only mode or below the anomaly threshold).
    public var detections: Int

    /// Creates WAF statistics.
    public init(blocksByRule: [String: Int] = [:], detections: Int = 0) {
        self.blocksByRule = blocksByRule
        self.detections = detections
    }
}

/// Client connections on the data listeners.
public struct ConnectionStats: Codable, Sendable, Equatable {
    /// Open now.
    public var open: Int
    /// Accepted since start.
    public var accepted: Int
    /// Refused since start (over `limits.max_connections`, or denied by an ACL before any request).
    public var rejected: Int

    /// Creates connection statistics.
    public init(open: Int = 0, accepted: Int = 0, rejected: Int = 0) {
        self.open = open
        self.accepted = accepted
        self.rejected = rejected
    }
}

/// One purge, for the dashboard.
public struct PurgeEvent: Codable, Sendable, Equatable {
    /// When it ran.
    public var time: Date
    /// A one-line description, e.g. `tag product-42: 3 objects (soft)`.
    public var summary: String

    /// Creates an event.
    public init(time: Date, summary: String) {
        self.time = time
        self.summary = summary
    }
}

/// One WAF block, for the dashboard.
public struct WAFEvent: Codable, Sendable, Equatable {
    /// When it happened.
    public var time: Date
    /// The deciding rule's id.
    public var ruleId: String
    /// A one-line description, e.g. `GET /search?q=… from 192.0.2.7: SQL injection`.
    public var summary: String

    /// Creates an event.
    public init(time: Date, ruleId: String, summary: String) {
        self.time = time
        self.ruleId = ruleId
        self.summary = summary
    }
}

extension StatsSnapshot {
    /// The JSON encoder used for `/stats` (and its decoder counterpart for clients): sorted keys, ISO 8601 dates.
    public static func makeEncoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Decodes what ``makeEncoder(pretty:)`` writes.
    public static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// The memory the cache path holds, by account, and the process's own figures (Docs/reliability.md, "Memory").
public struct MemoryStats: Codable, Sendable, Equatable {
    /// Each account: `tier` (the memory tier), `fills` (bodies buffered by fills in flight),
    /// `compression` (bodies queued for or being encoded), `disk_queue` (the disk writer's queue),
    /// `memos` (the per-event-loop memos).
    public var parts: [MemoryPart]
    /// The process's anonymous resident memory (`RssAnon` in `/proc/self/status`).
    public var processAnonymousBytes: Int
    /// The process's resident set (`VmRSS`).
    public var processResidentBytes: Int
    /// The documented bound on ``processAnonymousBytes`` for this configuration and the open connections.
    public var boundBytes: Int

    /// Creates memory figures; everything defaults to zero or empty.
    public init(parts: [MemoryPart] = [], processAnonymousBytes: Int = 0, processResidentBytes: Int = 0, boundBytes: Int = 0) {
        self.parts = parts
        self.processAnonymousBytes = processAnonymousBytes
        self.processResidentBytes = processResidentBytes
        self.boundBytes = boundBytes
    }
}

/// One memory account.
public struct MemoryPart: Codable, Sendable, Equatable {
    /// `tier`, `fills`, `compression`, `disk_queue` or `memos`.
    public var name: String
    /// Bytes held now.
    public var bytes: Int
    /// The account's budget.
    public var limitBytes: Int
    /// Times the budget said no since start: fills that stopped buffering (streamed, not stored),
    /// encodings skipped, disk writes dropped. Always 0 for `tier` (it evicts) and `memos` (they clear).
    public var refusals: Int

    /// Creates an account's figures.
    public init(name: String, bytes: Int = 0, limitBytes: Int = 0, refusals: Int = 0) {
        self.name = name
        self.bytes = bytes
        self.limitBytes = limitBytes
        self.refusals = refusals
    }
}
