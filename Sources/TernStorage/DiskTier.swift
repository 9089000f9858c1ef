import Atomics
import CLMDB
import Foundation
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func closeDescriptor(_ fd: Int32) {
    #if canImport(Glibc)
    _ = Glibc.close(fd)
    #else
    _ = Darwin.close(fd)
    #endif
}

/// The LMDB disk tier: survives restarts and `kill -9`.
///
/// - Reads (`get`, `metas(where:)`, `metas(taggedWith:)`, `allPrimaryKeys`) are blocking: call them from a thread pool, never an event loop.
///   They see queued writes (read-your-writes, see `PendingOverlay`) and verify each body's
///   xxHash64 checksum; a corrupt body is counted, deleted through the writer, and not returned.
/// - Writes (`put`, `updateMeta`, `remove…`, `touch`) only append to a queue that ONE writer thread
///   commits in batches (up to `maxBatchOperations` ops, after waiting `batchDelayMilliseconds` for
///   more), each batch in a single transaction: a body and its meta are always written together.
///   When the queue holds more than `maxQueueBytes`, new puts are dropped (counted in `droppedWrites`)
///   and turned into a removal of the variant so that no older copy outlives them.
/// - Eviction: whenever the entries' bytes exceed `limit`, the least recently stamped entries are
///   deleted in the writer's transaction. MDB_MAP_FULL is handled the same way (evict, retry); the
///   caller never sees it.
///
/// See Docs/storage.md for the layout, format, durability and measured costs.
public final class DiskTier: @unchecked Sendable {
    /// How much of a commit reaches the disk before `flush` returns (LMDB environment flags).
    public enum Durability: Sendable {
        /// fsync data and meta pages on every commit: survives power loss, nothing lost.
        case full
        /// MDB_NOMETASYNC (default): data pages are fsynced, the meta page is not. A process crash
        /// loses nothing committed; an OS crash or power loss may undo the last commit but never corrupts.
        case noMetaSync
        /// MDB_NOSYNC: no fsync. A process crash (kill -9) loses nothing committed (the kernel has
        /// the pages); an OS crash may lose recent commits or corrupt the store.
        case noSync
    }

    public struct Configuration: Sendable {
        /// Created if missing. Holds `data.mdb`, `lock.mdb` and `tern-storage.lock`.
        public var directory: String
        /// Total bytes of entries (as charged by the disk accounting); older entries are evicted beyond it.
        public var limit: Int64
        /// LMDB map size: the most the data file may grow to.
        public var mapSize: Int64
        /// LMDB reader slots: the most concurrent `get` calls.
        public var maxReaders: Int = 126
        public var durability: Durability = .noMetaSync
        /// Bytes the write queue may hold before new puts are dropped.
        public var maxQueueBytes: Int64 = 64 << 20
        /// How long the writer waits for more ops before committing a batch that is not full.
        public var batchDelayMilliseconds: Int = 2
        /// The most ops committed in one transaction.
        public var maxBatchOperations: Int = 1024
        /// Variants kept per primary key; storing one more deletes that key's least recently used variant.
        public var maxVariants: Int = 32
        /// While read-only after a write failure: how often a probe checks whether writes work again.
        public var probeIntervalMilliseconds: Int = 5000
        /// A probe also wants this much free space on the filesystem before the tier writes again.
        public var minFreeBytes: Int64 = 16 << 20
        /// What to do with a store whose data file is shorter than its metadata says, or whose meta
        /// pages are damaged.
        public var onDamage: DamagePolicy = .reset
        /// Called (on the writer thread) for every write failure and read-only/writable change.
        public var faultHandler: (@Sendable (DiskFaultEvent) -> Void)?
        /// Test seam: makes commits fail and fakes free space.
        public var faultInjector: DiskFaultInjector?

        public init(
            directory: String,
            limit: Int64,
            mapSize: Int64? = nil,
            maxReaders: Int = 126,
            durability: Durability = .noMetaSync,
            maxQueueBytes: Int64 = 64 << 20,
            batchDelayMilliseconds: Int = 2,
            maxBatchOperations: Int = 1024,
            maxVariants: Int = 32
        ) {
            self.directory = directory
            self.limit = limit
            self.mapSize = mapSize ?? Self.defaultMapSize(limit: limit)
            self.maxReaders = maxReaders
            self.durability = durability
            self.maxQueueBytes = maxQueueBytes
            self.batchDelayMilliseconds = batchDelayMilliseconds
            self.maxBatchOperations = maxBatchOperations
            self.maxVariants = max(1, maxVariants)
        }

        /// `max(limit × 1.5, limit + 256 MiB)`: room for LMDB's page overhead and free pages.
        public static func defaultMapSize(limit: Int64) -> Int64 {
            max(limit + limit / 2, limit + (256 << 20))
        }
    }

    /// Fixed bytes charged per entry on disk (see Docs/storage.md): `record + body + Σ tags + entryOverhead`.
    public static var entryOverhead: Int64 { DiskStore.entryOverhead }

    public let configuration: Configuration
    /// Whether the store opened as it was or was reset after damage (log it).
    public let openReport: OpenReport
    private let store: DiskStore
    private let lockFileDescriptor: Int32

    // Write queue, overlay and writer handshake: guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [(seq: UInt64, op: DiskWriteOp, bytes: Int)] = []
    private var queuedBytes = 0
    private var lastEnqueued: UInt64 = 0
    private var lastCommitted: UInt64 = 0
    private var touches: [VariantID: DiskTouch] = [:]
    private var touchDeadline = Date.distantFuture
    private var touchGeneration: UInt64 = 0
    private var committedTouchGeneration: UInt64 = 0
    private var flushWaiters = 0
    private var writerIdle = false
    private var closing = false
    private var writerExited = false
    private var overlay = PendingOverlay()

    // Readers in flight, so that close never unmaps under a reader: guarded by `readerGate`.
    private let readerGate = NSCondition()
    private var activeReaders = 0
    private var readersClosed = false

    private let closeLock = NIOLock()
    private var isClosed = false

    private let _droppedWrites = ManagedAtomic<Int>(0)
    private let _checksumFailures = ManagedAtomic<Int>(0)
    private let _readOnly = ManagedAtomic<Bool>(false)
    private let failureCounts = NIOLockedValueBox<[DiskWriteFailure: Int]>([:])
    /// Guarded by `condition`: when the writer probes next while read-only.
    private var nextProbe = Date.distantFuture

    /// Touches are committed with the next batch or after this long.
    static let touchInterval: TimeInterval = 0.25
    static let maxBatchBytes = 64 << 20

    /// Opens (creating if needed) the store in `configuration.directory` and starts its writer thread.
    public init(configuration: Configuration) throws {
        guard configuration.limit >= 0 else {
            throw DiskTierError.invalidConfiguration("limit must not be negative (got \(configuration.limit))")
        }
        guard configuration.mapSize >= 1 << 20 else {
            throw DiskTierError.invalidConfiguration("mapSize must be at least 1 MiB (got \(configuration.mapSize))")
        }
        guard configuration.maxReaders >= 1, configuration.maxBatchOperations >= 1 else {
            throw DiskTierError.invalidConfiguration("maxReaders and maxBatchOperations must be at least 1")
        }
        self.configuration = configuration
        let directory = configuration.directory
        self.lockFileDescriptor = try Self.prepareDirectory(directory)
        let open = {
            let store = try DiskStore(
                directory: directory,
                mapSize: configuration.mapSize,
                maxReaders: configuration.maxReaders,
                limit: configuration.limit,
                durability: configuration.durability,
                faultInjector: configuration.faultInjector
            )
            store.maxVariants = configuration.maxVariants
            return store
        }
        do {
            do {
                self.store = try open()
                self.openReport = .opened
            } catch let damage as DiskStoreDamage {
                guard configuration.onDamage == .reset else {
                    throw DiskTierError.damaged(path: directory, reason: damage.reason)
                }
                // Keep the damaged file for inspection; start empty so that a restart loop cannot happen.
                let movedTo = try Self.moveAside(directory: directory, now: Date())
                self.store = try open()
                self.openReport = .resetAfterDamage(reason: damage.reason, movedTo: movedTo)
            }
        } catch {
            closeDescriptor(self.lockFileDescriptor)
            throw error
        }
        let thread = Thread { [self] in
            self.writerLoop()
        }
        thread.name = "tern-disk-writer"
        thread.start()
    }

    deinit {
        self.close()
    }

    private static func prepareDirectory(_ directory: String) throws -> Int32 {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DiskTierError.directoryUnusable(path: directory, reason: "cannot create it (\(Self.reason(error)))")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DiskTierError.directoryUnusable(path: directory, reason: "not a directory")
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw DiskTierError.directoryUnusable(path: directory, reason: "not writable (\(String(cString: strerror(errno))))")
        }
        let lockPath = directory + "/tern-storage.lock"
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DiskTierError.directoryUnusable(
                path: directory,
                reason: "cannot open \(lockPath) (\(String(cString: strerror(errno))))"
            )
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(fd)
            throw DiskTierError.alreadyInUse(path: directory)
        }
        return fd
    }

    /// Renames `data.mdb` to `data.mdb.damaged-<UTC time>` (unique) and removes `lock.mdb`; returns the new path.
    static func moveAside(directory: String, now: Date) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        let base = directory + "/data.mdb.damaged-" + formatter.string(from: now)
        var target = base
        var suffix = 1
        while FileManager.default.fileExists(atPath: target) {
            suffix += 1
            target = base + "-\(suffix)"
        }
        guard rename(directory + "/data.mdb", target) == 0 else {
            throw DiskTierError.directoryUnusable(
                path: directory, reason: "cannot move the damaged data.mdb aside (\(String(cString: strerror(errno))))"
            )
        }
        unlink(directory + "/lock.mdb")
        return target
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }

    // MARK: - Counters

    /// Bytes of committed entries, as charged (record + body + tags + fixed overhead).
    public var bytesUsed: Int64 { self.store.bytesUsed.load(ordering: .relaxed) }
    /// Committed variants.
    public var count: Int { self.store.entryCount.load(ordering: .relaxed) }
    /// Entries evicted (over the limit or to recover from a full map) since this tier was opened.
    public var evictions: Int { self.store.evictions.load(ordering: .relaxed) }
    /// Variants deleted because their primary key reached ``Configuration/maxVariants``.
    public var variantEvictions: Int { self.store.variantEvictions.load(ordering: .relaxed) }
    /// Bytes held by the writer queue now (bounded by `maxQueueBytes`).
    public var queuedBytesNow: Int {
        self.condition.lock()
        defer { self.condition.unlock() }
        return self.queuedBytes
    }
    /// Puts dropped: queue over `maxQueueBytes`, or an object that does not fit in the map at all.
    public var droppedWrites: Int { self._droppedWrites.load(ordering: .relaxed) }
    /// Bodies whose checksum (or length) did not match their record; each was deleted and missed.
    public var checksumFailures: Int { self._checksumFailures.load(ordering: .relaxed) }
    /// Times MDB_MAP_FULL was recovered from by evicting.
    public var mapFullRecoveries: Int { self.store.mapFullRecoveries.load(ordering: .relaxed) }
    /// Batches lost to an unexpected LMDB error (I/O error, corrupted environment).
    public var writeErrors: Int { self.store.writeErrors.load(ordering: .relaxed) }
    /// Whether the tier stopped writing after a failure (it still serves what it has; a probe
    /// every `probeIntervalMilliseconds` turns writes back on once they work).
    public var isReadOnly: Bool { self._readOnly.load(ordering: .relaxed) }
    /// Failed commits since the tier was opened, by kind.
    public var writeFailures: [DiskWriteFailure: Int] { self.failureCounts.withLockedValue { $0 } }

    // MARK: - Reads (blocking)

    /// Every intact variant of `primaryKey`, or nil. Blocking: call from a thread pool, never an event loop.
    public func get(primaryKey: String) throws -> [CacheEntry]? {
        try self.enterReader()
        defer { self.exitReader() }
        let snapshot = self.condition.withLock { self.overlay.snapshot(primaryKey: primaryKey) }
        let result: DiskStore.ReadResult
        do {
            result = try self.store.read(primaryKey: primaryKey)
        } catch let failure as LMDBFailure {
            throw DiskTierError.lmdb(operation: failure.operation, code: failure.code, message: LMDB.message(failure.code))
        }
        for (digest, checksum) in result.corrupt {
            self._checksumFailures.wrappingIncrement(ordering: .relaxed)
            self.enqueue(.dropCorrupt(digest, checksum: checksum))
        }
        let entries = snapshot.isEmpty ? result.entries : snapshot.apply(to: result.entries)
        return entries.isEmpty ? nil : entries
    }

    /// All primary keys currently committed (call `flush()` first to include queued puts), sorted.
    public func allPrimaryKeys() throws -> [String] {
        try self.enterReader()
        defer { self.exitReader() }
        do {
            return try self.store.allPrimaryKeys().sorted()
        } catch let failure as LMDBFailure {
            throw DiskTierError.lmdb(operation: failure.operation, code: failure.code, message: LMDB.message(failure.code))
        }
    }

    /// The metas of every stored variant matching `predicate` (a dry run of a purge, or its target list).
    ///
    /// One read-only scan of the `meta` records: bodies are neither read nor checksummed, and the LRU is
    /// not touched. Like `get`, it answers as if every queued write were committed (queued puts, removals,
    /// meta updates and soft purges are applied through the same `PendingOverlay`). `predicate` runs inside
    /// the read transaction (and, for queued puts, under the queue's lock): keep it cheap and do not call
    /// back into this tier. Blocking: call from a thread pool, never an event loop. Order is unspecified.
    public func metas(where predicate: (CacheEntryMeta) -> Bool) throws -> [CacheEntryMeta] {
        try self.enterReader()
        defer { self.exitReader() }
        let snapshot = self.condition.withLock { self.overlay.fullSnapshot() }
        var result: [CacheEntryMeta] = []
        do {
            try self.store.forEachMeta { committed in
                if let meta = snapshot.visible(committed), predicate(meta) {
                    result.append(meta)
                }
            }
        } catch let failure as LMDBFailure {
            throw DiskTierError.lmdb(operation: failure.operation, code: failure.code, message: LMDB.message(failure.code))
        }
        for meta in snapshot.queuedPutMetas where predicate(meta) {
            result.append(meta)
        }
        return result
    }

    /// The metas carrying surrogate key `tag` (one index lookup; for purge by tag). Reflects queued writes
    /// like `get`: queued puts with the tag are included, queued removals hide, and queued meta updates
    /// that add or drop the tag are applied. Blocking.
    public func metas(taggedWith tag: String) throws -> [CacheEntryMeta] {
        try self.enterReader()
        defer { self.exitReader() }
        let snapshot = self.condition.withLock { self.overlay.fullSnapshot() }
        // Committed variants that only a queued meta update gives the tag are not in the index yet.
        var extra: [VariantID] = []
        for (primaryKey, state) in snapshot.keys {
            for (variantKey, update) in state.metaUpdates where update.meta.tags.contains(tag) {
                extra.append(VariantID(primaryKey: primaryKey, variantKey: variantKey))
            }
        }
        let committed: [CacheEntryMeta]
        do {
            committed = try self.store.metas(taggedWith: tag, extra: extra)
        } catch let failure as LMDBFailure {
            throw DiskTierError.lmdb(operation: failure.operation, code: failure.code, message: LMDB.message(failure.code))
        }
        var result = committed.compactMap { snapshot.visible($0) }.filter { $0.tags.contains(tag) }
        result.append(contentsOf: snapshot.queuedPutMetas.filter { $0.tags.contains(tag) })
        return result
    }

    private func enterReader() throws {
        self.readerGate.lock()
        defer { self.readerGate.unlock() }
        guard !self.readersClosed else { throw DiskTierError.closed }
        self.activeReaders += 1
    }

    private func exitReader() {
        self.readerGate.lock()
        self.activeReaders -= 1
        if self.activeReaders == 0 { self.readerGate.broadcast() }
        self.readerGate.unlock()
    }

    // MARK: - Writes (queued)

    /// Queues `entry` (complete body) for storage, replacing the same (primary key, variant key).
    public func put(_ entry: CacheEntry) {
        self.enqueue(.put(entry))
    }

    /// Queues a meta replacement for a stored variant (its body is kept).
    public func updateMeta(_ meta: CacheEntryMeta) {
        self.enqueue(.updateMeta(meta))
    }

    /// Queues the removal of every variant of `primaryKey`.
    public func remove(primaryKey: String) {
        self.enqueue(.remove(primaryKey: primaryKey))
    }

    /// Queues the removal of one variant.
    public func removeVariant(primaryKey: String, variantKey: String) {
        self.enqueue(.removeVariant(primaryKey: primaryKey, variantKey: variantKey))
    }

    /// Queues a scan that removes every entry whose meta matches `predicate` (runs on the writer thread).
    public func removeAll(where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool) {
        self.enqueue(.removeAll(predicate))
    }

    /// Queues a scan that sets `softPurged = true` on every entry whose meta matches `predicate`, keeping
    /// bodies, sizes and LRU order (runs on the writer thread; reads see it at once through the overlay).
    public func markSoftPurged(where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool) {
        self.enqueue(.markSoftPurged(predicate))
    }

    /// Records an access (coalesced per variant; committed with the next batch or within 250 ms).
    /// The disk LRU order follows these stamps, so it is approximate.
    public func touch(primaryKey: String, variantKey: String, now: Int64) {
        self.condition.lock()
        defer { self.condition.unlock() }
        guard !self.closing else { return }
        let id = VariantID(primaryKey: primaryKey, variantKey: variantKey)
        if let existing = self.touches[id] {
            self.touches[id]!.now = max(existing.now, now)
        } else {
            if self.touches.isEmpty {
                self.touchDeadline = Date(timeIntervalSinceNow: Self.touchInterval)
                if self.writerIdle { self.condition.broadcast() }
            }
            self.touches[id] = DiskTouch(primaryKey: primaryKey, variantKey: variantKey, now: now)
        }
        self.touchGeneration &+= 1
    }

    /// Blocks until everything queued before the call (including touches) is committed.
    public func flush() {
        self.condition.lock()
        defer { self.condition.unlock() }
        let target = self.lastEnqueued
        let touchTarget = self.touchGeneration
        self.flushWaiters += 1
        self.condition.broadcast()
        while !self.writerExited, !self._readOnly.load(ordering: .relaxed),
            self.lastCommitted < target || self.committedTouchGeneration < touchTarget
        {
            self.condition.wait()
        }
        self.flushWaiters -= 1
    }

    /// Commits everything queued, stops the writer and closes the environment. Idempotent;
    /// later writes are ignored and later reads throw `DiskTierError.closed`.
    public func close() {
        self.closeLock.withLock {
            guard !self.isClosed else { return }
            self.condition.lock()
            self.closing = true
            self.condition.broadcast()
            while !self.writerExited {
                self.condition.wait()
            }
            self.condition.unlock()

            self.readerGate.lock()
            self.readersClosed = true
            while self.activeReaders > 0 {
                self.readerGate.wait()
            }
            self.readerGate.unlock()

            self.store.close()
            closeDescriptor(self.lockFileDescriptor)
            self.isClosed = true
        }
    }

    private func enqueue(_ op: DiskWriteOp) {
        var op = op
        var bytes = op.queuedBytes
        self.condition.lock()
        defer { self.condition.unlock() }
        guard !self.closing else { return }
        if case .put(let entry) = op,
            self._readOnly.load(ordering: .relaxed) || Int64(self.queuedBytes + bytes) > self.configuration.maxQueueBytes
        {
            self._droppedWrites.wrappingIncrement(ordering: .relaxed)
            op = .removeVariant(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey)
            bytes = op.queuedBytes
        }
        self.lastEnqueued += 1
        let seq = self.lastEnqueued
        self.queue.append((seq, op, bytes))
        self.queuedBytes += bytes
        switch op {
        case .put(let entry): self.overlay.put(entry, seq: seq)
        case .updateMeta(let meta): self.overlay.updateMeta(meta, seq: seq)
        case .remove(let primaryKey): self.overlay.remove(primaryKey: primaryKey, seq: seq)
        case .removeVariant(let primaryKey, let variantKey):
            self.overlay.removeVariant(primaryKey: primaryKey, variantKey: variantKey, seq: seq)
        case .removeAll(let predicate): self.overlay.removeAll(where: predicate, seq: seq)
        case .markSoftPurged(let predicate): self.overlay.markSoftPurged(where: predicate, seq: seq)
        case .dropCorrupt: break
        }
        if self.writerIdle {
            self.condition.broadcast()
        }
    }

    // MARK: - Writer thread

    private func writerLoop() {
        let batchDelay = TimeInterval(self.configuration.batchDelayMilliseconds) / 1000
        while true {
            self.condition.lock()
            if self._readOnly.load(ordering: .relaxed) {
                // Store nothing until a probe shows writes work again; queued removals stay queued
                // (and visible through the overlay), touches are dropped.
                while !self.closing, Date() < self.nextProbe {
                    self.writerIdle = true
                    _ = self.condition.wait(until: self.nextProbe)
                    self.writerIdle = false
                }
                if self.closing {
                    self.abandonQueueLocked()
                    self.writerExited = true
                    self.condition.broadcast()
                    self.condition.unlock()
                    return
                }
                self.touches.removeAll()
                self.touchDeadline = .distantFuture
                self.committedTouchGeneration = self.touchGeneration
                self.condition.unlock()
                let recovered = self.probe()
                self.condition.lock()
                if !recovered {
                    self.nextProbe = Date(timeIntervalSinceNow: TimeInterval(self.configuration.probeIntervalMilliseconds) / 1000)
                    self.condition.unlock()
                    continue
                }
                self._readOnly.store(false, ordering: .relaxed)
                self.condition.broadcast()
                self.condition.unlock()
                self.configuration.faultHandler?(.becameWritable)
                continue
            }
            while self.queue.isEmpty, !self.closing,
                self.touches.isEmpty || (self.flushWaiters == 0 && Date() < self.touchDeadline)
            {
                self.writerIdle = true
                if self.touches.isEmpty {
                    self.condition.wait()
                } else {
                    _ = self.condition.wait(until: self.touchDeadline)
                }
                self.writerIdle = false
            }
            if self.queue.isEmpty, self.touches.isEmpty, self.closing {
                self.writerExited = true
                self.condition.broadcast()
                self.condition.unlock()
                return
            }
            if !self.queue.isEmpty, batchDelay > 0, self.queue.count < self.configuration.maxBatchOperations,
                self.flushWaiters == 0, !self.closing
            {
                _ = self.condition.wait(until: Date(timeIntervalSinceNow: batchDelay))
            }
            var taken = 0
            var takenBytes = 0
            while taken < self.queue.count, taken < self.configuration.maxBatchOperations,
                taken == 0 || takenBytes + self.queue[taken].bytes <= Self.maxBatchBytes
            {
                takenBytes += self.queue[taken].bytes
                taken += 1
            }
            let batch = Array(self.queue[..<taken])
            self.queue.removeFirst(taken)
            let touches = Array(self.touches.values)
            self.touches.removeAll(keepingCapacity: true)
            self.touchDeadline = .distantFuture
            let touchGeneration = self.touchGeneration
            self.condition.unlock()

            let outcome = self.store.commit(batch.map(\.op), touches: touches)
            if let failure = outcome.failure, failure.kind.makesReadOnly {
                self.enterReadOnly(after: batch, failure: failure, droppedPuts: outcome.droppedPuts, takenBytes: takenBytes,
                                   touchGeneration: touchGeneration)
                continue
            }
            if let failure = outcome.failure {
                self.countFailure(failure.kind)
                self.configuration.faultHandler?(.writeFailed(
                    failure.kind, code: failure.code, message: LMDB.message(failure.code), droppedPuts: outcome.droppedPuts
                ))
            }

            self.condition.lock()
            if let last = batch.last {
                self.lastCommitted = last.seq
                self.overlay.clear(upTo: last.seq, primaryKeys: batch.lazy.compactMap(\.op.primaryKey))
            }
            self.committedTouchGeneration = touchGeneration
            self.queuedBytes -= takenBytes
            if outcome.droppedPuts > 0 {
                self._droppedWrites.wrappingIncrement(by: outcome.droppedPuts, ordering: .relaxed)
            }
            self.condition.broadcast()
            self.condition.unlock()
        }
    }

    // MARK: - Write failures

    private func countFailure(_ kind: DiskWriteFailure) {
        self.failureCounts.withLockedValue { $0[kind, default: 0] += 1 }
    }

    /// A batch failed in a way that says the disk cannot take writes now: its puts are lost (and
    /// forgotten by the overlay), its other ops go back to the front of the queue (a purge must not
    /// be undone), queued puts are dropped, and the tier stores nothing until a probe succeeds.
    private func enterReadOnly(
        after batch: [(seq: UInt64, op: DiskWriteOp, bytes: Int)], failure: (kind: DiskWriteFailure, code: Int32),
        droppedPuts: Int, takenBytes: Int, touchGeneration: UInt64
    ) {
        self.countFailure(failure.kind)
        self.condition.lock()
        var kept: [(seq: UInt64, op: DiskWriteOp, bytes: Int)] = []
        var dropped = 0
        for item in batch + self.queue {
            if case .put(let entry) = item.op {
                self.overlay.forgetPut(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey, seq: item.seq)
                dropped += 1
            } else {
                kept.append(item)
            }
        }
        self._droppedWrites.wrappingIncrement(by: dropped, ordering: .relaxed)
        self.queue = kept
        self.queuedBytes = kept.reduce(0) { $0 + $1.bytes }
        self.committedTouchGeneration = touchGeneration
        if let firstKept = kept.first {
            self.lastCommitted = max(self.lastCommitted, firstKept.seq - 1)
        } else if let last = batch.last {
            self.lastCommitted = max(self.lastCommitted, last.seq)
        }
        let wasReadOnly = self._readOnly.exchange(true, ordering: .relaxed)
        self.nextProbe = Date(timeIntervalSinceNow: TimeInterval(self.configuration.probeIntervalMilliseconds) / 1000)
        self.condition.broadcast()
        self.condition.unlock()
        self.configuration.faultHandler?(.writeFailed(
            failure.kind, code: failure.code, message: LMDB.message(failure.code), droppedPuts: dropped
        ))
        if !wasReadOnly { self.configuration.faultHandler?(.becameReadOnly(failure.kind)) }
    }

    /// While read-only: enough free space, and the queued ops (removals, purges) or a tiny write commit.
    private func probe() -> Bool {
        let free = self.configuration.faultInjector?.freeBytes ?? freeBytes(at: self.configuration.directory)
        if let free, free < self.configuration.minFreeBytes { return false }
        self.condition.lock()
        let pending = self.queue
        // Every op up to here is either in `pending` or was dropped: once `pending` commits, all are done.
        let settled = self.lastEnqueued
        self.condition.unlock()
        if pending.isEmpty {
            if let failure = self.store.probeWrite() {
                self.countFailure(failure.kind)
                return false
            }
            self.condition.lock()
            self.lastCommitted = max(self.lastCommitted, settled)
            self.condition.unlock()
            return true
        }
        let outcome = self.store.commit(pending.map(\.op), touches: [])
        if let failure = outcome.failure, failure.kind.makesReadOnly {
            self.countFailure(failure.kind)
            return false
        }
        self.condition.lock()
        // Only these ops were committed; anything queued since stays (new puts were refused meanwhile).
        self.queue.removeFirst(min(pending.count, self.queue.count))
        self.queuedBytes -= pending.reduce(0) { $0 + $1.bytes }
        if let last = pending.last {
            self.overlay.clear(upTo: last.seq, primaryKeys: pending.lazy.compactMap(\.op.primaryKey))
        }
        self.lastCommitted = max(self.lastCommitted, settled)
        self.condition.unlock()
        return true
    }

    /// Closing while read-only: what cannot be committed is given up.
    private func abandonQueueLocked() {
        if let last = self.queue.last {
            self.lastCommitted = max(self.lastCommitted, last.seq)
        }
        self.queue.removeAll()
        self.queuedBytes = 0
        self.touches.removeAll()
        self.committedTouchGeneration = self.touchGeneration
    }

    // MARK: - Test hooks

    /// Runs `body` in a raw LMDB write transaction (tests corrupt stored bytes through it).
    func withRawWriteTransaction<T>(_ body: (LMDBTransaction, DiskStore) throws -> T) throws -> T {
        try self.store.withWriteTransaction { try body($0, self.store) }
    }
}
