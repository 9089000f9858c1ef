import TernCore

/// The response cache (top-level key `cache`). Absent means caching on with every default: a 256MiB memory tier
/// and no disk tier.
///
/// `enabled: false` turns caching off but does not relax validation: the other keys are still checked and kept
/// here (including ``disk``), so switching caching back on cannot reveal new errors. Consumers must test
/// ``enabled`` before using the rest.
public struct CacheConfig: Sendable, Equatable {
    /// How new objects enter the tiers (key `admission`).
    public enum Admission: String, Sendable, Equatable, CaseIterable {
        /// A cacheable response is stored in memory (when it fits ``memoryMaxObjectSize``) and on disk.
        case both
        /// A cacheable response is stored on disk only; it is copied into memory when it is hit again.
        /// Needs a ``disk`` tier.
        case diskFirst = "disk_first"
    }

    /// Whether responses are cached at all (key `enabled`, default `true`).
    public var enabled: Bool
    /// Memory tier capacity (key `memory`, default 256MiB); `0` means no memory tier.
    public var memory: ByteCount
    /// Largest object kept in the memory tier (key `memory_max_object`, default 8MiB, lowered to ``memory`` and
    /// ``maxObjectSize`` when those are smaller). Never larger than either when read from YAML.
    public var memoryMaxObjectSize: ByteCount
    /// Largest response stored at all (key `max_object_size`, default 64MiB); bigger responses pass through uncached.
    public var maxObjectSize: ByteCount
    /// The disk tier (key `disk`); `nil` keeps the cache in memory only.
    public var disk: DiskCacheConfig?
    /// How new objects enter the tiers (key `admission`, default `both`).
    public var admission: Admission
    /// Heuristic freshness (RFC 9111 §4.2.2) for responses with `Last-Modified` but no explicit lifetime:
    /// this fraction of the time since `Last-Modified` (key `heuristic_fraction`, default 0.1, within 0...1;
    /// 0 disables heuristic freshness).
    public var heuristicFraction: Double
    /// Upper bound on a heuristic lifetime (key `heuristic_max_ttl`, default 1d).
    public var heuristicMaxTTL: Duration
    /// Request coalescing: how long a request waits for another request's in-flight fetch of the same object
    /// before fetching on its own (key `lock_timeout`, default 10s; greater than 0 and at most 10m when read
    /// from YAML).
    public var lockTimeout: Duration
    /// Request coalescing: how many requests may wait for one in-flight fetch of an object (key `max_waiters`,
    /// default 10000; within 1...1_000_000 when read from YAML). Requests beyond it fetch on their own.
    public var maxWaiters: Int
    /// Request coalescing: after an uncacheable answer, requests for that cache key skip the waiting list and
    /// fetch on their own for this long (key `hit_for_miss`, default 30s; `0` turns it off; at most 1h when read
    /// from YAML).
    public var hitForMiss: Duration
    /// Origin response headers whose values are the object's tags (surrogate keys) for purge by tag, lower-cased
    /// (key `tag_headers`, default `[surrogate-key, cache-tag]`; values are space or comma separated).
    public var tagHeaders: [String]
    /// Whether the ``tagHeaders`` are removed from responses sent to clients (key `strip_tag_headers`,
    /// default `true`).
    public var stripTagHeaders: Bool
    /// Stored variants (`Vary`) per URL (key `max_variants`, default 32; 1...4096 when read from YAML). Storing
    /// one more evicts the URL's least recently used variant, so no client can flood one URL with variants.
    public var maxVariants: Int

    /// The default memory tier capacity, 256MiB.
    public static let defaultMemory = ByteCount.mebibytes(256)
    /// The default largest object kept in memory before clamping, 8MiB.
    public static let defaultMemoryMaxObjectSize = ByteCount.mebibytes(8)
    /// The default largest cached response, 64MiB.
    public static let defaultMaxObjectSize = ByteCount.mebibytes(64)
    /// The default `lock_timeout`, 10s.
    public static let defaultLockTimeout = Duration.seconds(10)
    /// The default `max_waiters`, 10000.
    public static let defaultMaxWaiters = 10_000
    /// The default `hit_for_miss`, 30s.
    public static let defaultHitForMiss = Duration.seconds(30)
    /// The default `tag_headers`: `surrogate-key` and `cache-tag`.
    public static let defaultTagHeaders = ["surrogate-key", "cache-tag"]
    /// The default `max_variants`, 32.
    public static let defaultMaxVariants = 32

    /// The `memory_max_object` used when it is not given: 8MiB, lowered to `memory` (when > 0) and `maxObjectSize`.
    public static func defaultMemoryMaxObjectSize(memory: ByteCount, maxObjectSize: ByteCount) -> ByteCount {
        var value = defaultMemoryMaxObjectSize
        if memory.bytes > 0 { value = Swift.min(value, memory) }
        return Swift.min(value, maxObjectSize)
    }

    /// Creates cache settings; values are taken as given (no validation).
    public init(
        enabled: Bool = true,
        memory: ByteCount = CacheConfig.defaultMemory,
        memoryMaxObjectSize: ByteCount = CacheConfig.defaultMemoryMaxObjectSize,
        maxObjectSize: ByteCount = CacheConfig.defaultMaxObjectSize,
        disk: DiskCacheConfig? = nil,
        admission: Admission = .both,
        heuristicFraction: Double = 0.1,
        heuristicMaxTTL: Duration = .seconds(86_400),
        lockTimeout: Duration = CacheConfig.defaultLockTimeout,
        maxWaiters: Int = CacheConfig.defaultMaxWaiters,
        hitForMiss: Duration = CacheConfig.defaultHitForMiss,
        tagHeaders: [String] = CacheConfig.defaultTagHeaders,
        stripTagHeaders: Bool = true,
        maxVariants: Int = CacheConfig.defaultMaxVariants
    ) {
        self.enabled = enabled
        self.memory = memory
        self.memoryMaxObjectSize = memoryMaxObjectSize
        self.maxObjectSize = maxObjectSize
        self.disk = disk
        self.admission = admission
        self.heuristicFraction = heuristicFraction
        self.heuristicMaxTTL = heuristicMaxTTL
        self.lockTimeout = lockTimeout
        self.maxWaiters = maxWaiters
        self.hitForMiss = hitForMiss
        self.tagHeaders = tagHeaders
        self.stripTagHeaders = stripTagHeaders
        self.maxVariants = maxVariants
    }

    /// Caching on, 256MiB in memory, no disk tier; coalescing waits up to 10s, at most 10000 waiters per object,
    /// 30s hit-for-miss.
    public static let `default` = CacheConfig()
}

/// The disk tier of the cache (key `cache.disk`).
public struct DiskCacheConfig: Sendable, Equatable {
    /// Directory holding the cache files (key `path`, required), absolute: a relative YAML path is resolved against
    /// the configuration file's directory, a relative `--cache-dir` against the working directory.
    /// Whether it exists or is writable is checked when the server starts, not here.
    public var path: String
    /// Disk tier capacity (key `size`, default 4GiB, > 0).
    public var size: ByteCount
    /// Size of the memory map backing the store (key `map_size`); `nil` lets the store choose.
    /// At least ``size`` when given.
    public var mapSize: ByteCount?
    /// What to do with a damaged store at start-up (key `on_damage`, default `reset`).
    public var onDamage: DamagePolicy

    /// A store whose data file is shorter than its metadata says, or whose meta pages are damaged.
    public enum DamagePolicy: String, Sendable, Equatable, CaseIterable {
        /// Move `data.mdb` aside as `data.mdb.damaged-<time>`, log it, and start with an empty store.
        case reset
        /// Refuse to start, with a clear error.
        case fail
    }

    /// The default disk tier capacity, 4GiB.
    public static let defaultSize = ByteCount.gibibytes(4)

    /// Creates disk tier settings; values are taken as given (no validation).
    public init(
        path: String, size: ByteCount = DiskCacheConfig.defaultSize, mapSize: ByteCount? = nil, onDamage: DamagePolicy = .reset
    ) {
        self.path = path
        self.size = size
        self.mapSize = mapSize
        self.onDamage = onDamage
    }
}
