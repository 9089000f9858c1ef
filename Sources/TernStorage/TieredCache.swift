import Atomics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Memory → disk → miss, with promotion of disk hits into memory.
///
/// Admission (which tiers a newly stored object enters):
/// - `.both` (default): memory and disk. Best hit latency for new objects; one-hit wonders
///   churn the memory LRU.
/// - `.diskFirst`: disk only; an object enters memory when a later lookup finds it on disk
///   (its second request). Keeps memory for objects requested at least twice. A variant already
///   in memory is replaced in place so memory never serves an older copy.
///
/// Consistency: a disk hit is promoted only if the variant is still absent from memory and nothing
/// was removed or updated in memory since the lookup began, so a purge that races a disk read is
/// never undone and a newer stored copy is never overwritten. Disk errors count as misses.
/// Purges (`remove…`, `removeAll`, `markSoftPurged`) change the disk tier first, then memory, so a disk read
/// that began before the memory change is refused promotion and one that began after it sees the purge.
///
/// Purge vs. fill: every purge increments ``purgeGeneration`` and records its predicate in a bounded history
/// (``purgeHistoryCapacity``, default 1024). A fill reads ``purgeGeneration`` when it starts and stores with
/// ``store(_:startedAtGeneration:)``, which refuses the entry when a purge that matches it ran since (or when
/// the history no longer reaches back that far). See Docs/storage.md.
public final class TieredCache: Sendable {
    public enum Admission: Sendable {
        case both
        case diskFirst
    }

    public let memory: MemoryTier
    public let disk: DiskTier?
    public let admission: Admission
    private let threadPool: NIOThreadPool
    /// Guards the purge history; also held across a purge's tier changes and a conditional store's writes,
    /// so that a conditional store either completes before a purge (which then removes it) or sees it.
    private let history: NIOLockedValueBox<PurgeHistory>
    private let generation = ManagedAtomic<UInt64>(0)
    /// How many recent purge predicates are kept for ``store(_:startedAtGeneration:)``.
    public let purgeHistoryCapacity: Int

    /// A memory hit refreshes the disk copy's access stamp at most once per this many ms per variant,
    /// so that the disk LRU does not evict what memory keeps serving.
    public static let diskTouchIntervalMilliseconds: Int64 = 60_000

    public init(
        memory: MemoryTier,
        disk: DiskTier?,
        threadPool: NIOThreadPool,
        admission: Admission = .both,
        purgeHistoryCapacity: Int = 1024
    ) {
        self.memory = memory
        self.disk = disk
        self.threadPool = threadPool
        self.admission = admission
        self.purgeHistoryCapacity = max(1, purgeHistoryCapacity)
        self.history = NIOLockedValueBox(PurgeHistory(capacity: max(1, purgeHistoryCapacity)))
    }

    /// Memory only, synchronous: the fast path on the event loop.
    public func lookupMemory(primaryKey: String, now: Int64) -> [CacheEntry]? {
        guard let disk = self.disk else {
            return self.memory.get(primaryKey: primaryKey, now: now)
        }
        guard
            let (entries, stale) = self.memory.get(
                primaryKey: primaryKey,
                now: now,
                staleBefore: now - Self.diskTouchIntervalMilliseconds
            )
        else { return nil }
        for variantKey in stale {
            disk.touch(primaryKey: primaryKey, variantKey: variantKey, now: now)
        }
        return entries
    }

    /// Memory, then disk on the thread pool; disk hits are promoted to memory.
    /// The future completes on `eventLoop`; it never fails (a disk error is a miss).
    public func lookup(primaryKey: String, now: Int64, eventLoop: any EventLoop) -> EventLoopFuture<[CacheEntry]?> {
        if let entries = self.lookupMemory(primaryKey: primaryKey, now: now) {
            return eventLoop.makeSucceededFuture(entries)
        }
        guard let disk = self.disk else {
            return eventLoop.makeSucceededFuture(nil)
        }
        let memory = self.memory
        let epoch = memory.mutationEpoch
        return self.threadPool.runIfActive(eventLoop: eventLoop) { () -> [CacheEntry]? in
            guard var entries = try disk.get(primaryKey: primaryKey) else { return nil }
            for index in entries.indices {
                entries[index].meta.lastAccess = now
                _ = memory.putIfAbsent(entries[index], unchangedSince: epoch)
                disk.touch(primaryKey: primaryKey, variantKey: entries[index].meta.variantKey, now: now)
            }
            return entries
        }.recover { _ in nil }
    }

    /// Stores a complete response: memory (per admission) and disk. Unconditional: a fill that may have
    /// started before a purge should use ``store(_:startedAtGeneration:)``.
    public func store(_ entry: CacheEntry) {
        switch self.admission {
        case .both:
            self.memory.put(entry)
        case .diskFirst:
            if self.disk == nil {
                self.memory.put(entry)
            } else {
                self.memory.replaceIfPresent(entry)
            }
        }
        self.disk?.put(entry)
    }

    /// The number of purges (`remove`, `removeVariant`, `removeAll`, `markSoftPurged`) run so far.
    /// Read it when a fill starts and pass it to ``store(_:startedAtGeneration:)``.
    public var purgeGeneration: UInt64 { self.generation.load(ordering: .acquiring) }

    /// Stores `entry` (like ``store(_:)``) unless a purge whose predicate matches `entry.meta` ran after
    /// `generation` was read from ``purgeGeneration``, or the purge history (``purgeHistoryCapacity``
    /// purges) no longer reaches back to `generation` (refused conservatively).
    /// - Returns: `false` when refused (nothing stored); `true` when handed to the tiers (a tier may still
    ///   decline it, e.g. memory's `maxObjectSize`).
    @discardableResult
    public func store(_ entry: CacheEntry, startedAtGeneration generation: UInt64) -> Bool {
        self.history.withLockedValue { history in
            if history.refuses(entry.meta, since: generation) { return false }
            self.store(entry)
            return true
        }
    }

    /// Replaces the meta of a stored variant in both tiers (304 merge, RFC 9111 §4.3.4).
    public func updateMeta(_ meta: CacheEntryMeta) {
        self.disk?.updateMeta(meta)
        self.memory.updateMeta(meta)
    }

    /// Removes every variant of `primaryKey` from both tiers (a purge: increments ``purgeGeneration``).
    public func remove(primaryKey: String) {
        self.purge({ $0.primaryKey == primaryKey }) {
            self.disk?.remove(primaryKey: primaryKey)
            self.memory.remove(primaryKey: primaryKey)
        }
    }

    /// Removes one variant from both tiers (a purge: increments ``purgeGeneration``).
    public func removeVariant(primaryKey: String, variantKey: String) {
        self.purge({ $0.primaryKey == primaryKey && $0.variantKey == variantKey }) {
            self.disk?.removeVariant(primaryKey: primaryKey, variantKey: variantKey)
            self.memory.removeVariant(primaryKey: primaryKey, variantKey: variantKey)
        }
    }

    /// Removes every entry matching `predicate` from both tiers (purge by URL prefix, host, tag or all).
    /// Removing an entry also removes it from the disk tag index, in the same transaction.
    ///
    /// Blocking when there is a disk tier (it counts the matches with ``metas(where:)`` first): call it from
    /// a thread pool, or use ``removeAll(where:on:)``. The removal itself is applied to both tiers at once
    /// (reads see it immediately) and committed to disk by the writer thread.
    /// - Returns: how many variants matched (union of both tiers) just before the purge.
    @discardableResult
    public func removeAll(where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool) -> Int {
        let matched = self.metas(where: predicate).count
        self.purge(predicate) {
            self.disk?.removeAll(where: predicate)
            self.memory.removeAll(where: predicate)
        }
        return matched
    }

    /// ``removeAll(where:)`` on the thread pool; the future completes on `eventLoop`.
    public func removeAll(
        where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Int> {
        self.threadPool.runIfActive(eventLoop: eventLoop) { self.removeAll(where: predicate) }
    }

    /// Soft purge: sets `softPurged = true` on every entry matching `predicate` in both tiers, keeping
    /// bodies (the proxy then serves them only as stale and revalidates first). Blocking like ``removeAll(where:)``.
    /// - Returns: how many variants matched (union of both tiers, including ones already soft-purged).
    @discardableResult
    public func markSoftPurged(where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool) -> Int {
        let matched = self.metas(where: predicate).count
        self.purge(predicate) {
            self.disk?.markSoftPurged(where: predicate)
            self.memory.markSoftPurged(where: predicate)
        }
        return matched
    }

    /// ``markSoftPurged(where:)`` on the thread pool; the future completes on `eventLoop`.
    public func markSoftPurged(
        where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<Int> {
        self.threadPool.runIfActive(eventLoop: eventLoop) { self.markSoftPurged(where: predicate) }
    }

    /// The metas of every stored variant matching `predicate` (a purge's dry run): the union of both tiers
    /// by (primary key, variant key), memory's copy winning, sorted by (primary key, variant key).
    /// Touches no LRU and reads no disk body; reflects queued disk writes.
    /// Blocking when there is a disk tier; a disk error leaves only the memory part.
    public func metas(where predicate: (CacheEntryMeta) -> Bool) -> [CacheEntryMeta] {
        let diskMetas = (try? self.disk?.metas(where: predicate)) ?? []
        return Self.union(memory: self.memory.metas(where: predicate), disk: diskMetas)
    }

    /// ``metas(where:)`` with both scans on the thread pool; the future completes on `eventLoop` and
    /// fails with the disk tier's error (e.g. `DiskTierError.closed`).
    public func metas(
        where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool,
        on eventLoop: any EventLoop
    ) -> EventLoopFuture<[CacheEntryMeta]> {
        let memory = self.memory
        let disk = self.disk
        return self.threadPool.runIfActive(eventLoop: eventLoop) {
            let diskMetas = try disk?.metas(where: predicate) ?? []
            return Self.union(memory: memory.metas(where: predicate), disk: diskMetas)
        }
    }

    static func union(memory: [CacheEntryMeta], disk: [CacheEntryMeta]) -> [CacheEntryMeta] {
        var byVariant: [VariantID: CacheEntryMeta] = [:]
        byVariant.reserveCapacity(memory.count + disk.count)
        for meta in disk {
            byVariant[VariantID(primaryKey: meta.primaryKey, variantKey: meta.variantKey)] = meta
        }
        for meta in memory {
            byVariant[VariantID(primaryKey: meta.primaryKey, variantKey: meta.variantKey)] = meta
        }
        return byVariant.values.sorted {
            $0.primaryKey != $1.primaryKey ? $0.primaryKey < $1.primaryKey : $0.variantKey < $1.variantKey
        }
    }

    /// Records a purge (new generation + its predicate) and applies it to the tiers under the history lock.
    private func purge(_ predicate: @escaping @Sendable (CacheEntryMeta) -> Bool, _ apply: () -> Void) {
        self.history.withLockedValue { history in
            history.record(predicate)
            self.generation.store(history.generation, ordering: .releasing)
            apply()
        }
    }

    /// Waits until every queued disk write is committed.
    public func flush() {
        self.disk?.flush()
    }

    /// Flushes and closes the disk tier.
    public func close() {
        self.disk?.close()
    }
}

/// The recent purges, for refusing fills that started before a matching purge.
struct PurgeHistory {
    typealias Predicate = @Sendable (CacheEntryMeta) -> Bool

    let capacity: Int
    /// The generation of the latest purge (0: none yet).
    private(set) var generation: UInt64 = 0
    /// The last `capacity` purges, oldest first.
    private var records: [(generation: UInt64, predicate: Predicate)] = []
    private var start = 0
    /// The newest generation whose predicate was dropped from `records`.
    private var forgottenThrough: UInt64 = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.records.reserveCapacity(self.capacity)
    }

    mutating func record(_ predicate: @escaping Predicate) {
        self.generation += 1
        if self.records.count < self.capacity {
            self.records.append((self.generation, predicate))
        } else {
            // Ring: overwrite the oldest.
            self.forgottenThrough = self.records[self.start].generation
            self.records[self.start] = (self.generation, predicate)
            self.start = (self.start + 1) % self.capacity
        }
    }

    /// Whether a fill that read `generation` before starting must not be stored: a purge after it matches
    /// `meta`, or purges after it were forgotten (the answer is unknown, so refuse).
    func refuses(_ meta: CacheEntryMeta, since generation: UInt64) -> Bool {
        if generation >= self.generation { return false }
        if generation < self.forgottenThrough { return true }
        // Newest first; stop at the first purge the fill already saw.
        for offset in stride(from: self.records.count - 1, through: 0, by: -1) {
            let record = self.records[(self.start + offset) % self.records.count]
            if record.generation <= generation { break }
            if record.predicate(meta) { return true }
        }
        return false
    }
}
