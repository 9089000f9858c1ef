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
public final class TieredCache: Sendable {
    public enum Admission: Sendable {
        case both
        case diskFirst
    }

    public let memory: MemoryTier
    public let disk: DiskTier?
    public let admission: Admission
    private let threadPool: NIOThreadPool

    /// A memory hit refreshes the disk copy's access stamp at most once per this many ms per variant,
    /// so that the disk LRU does not evict what memory keeps serving.
    public static let diskTouchIntervalMilliseconds: Int64 = 60_000

    public init(memory: MemoryTier, disk: DiskTier?, threadPool: NIOThreadPool, admission: Admission = .both) {
        self.memory = memory
        self.disk = disk
        self.threadPool = threadPool
        self.admission = admission
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

    /// Stores a complete response: memory (per admission) and disk.
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

    /// Replaces the meta of a stored variant in both tiers (304 merge, RFC 9111 §4.3.4).
    public func updateMeta(_ meta: CacheEntryMeta) {
        self.memory.updateMeta(meta)
        self.disk?.updateMeta(meta)
    }

    /// Removes every variant of `primaryKey` from both tiers.
    public func remove(primaryKey: String) {
        self.memory.remove(primaryKey: primaryKey)
        self.disk?.remove(primaryKey: primaryKey)
    }

    /// Removes one variant from both tiers.
    public func removeVariant(primaryKey: String, variantKey: String) {
        self.memory.removeVariant(primaryKey: primaryKey, variantKey: variantKey)
        self.disk?.removeVariant(primaryKey: primaryKey, variantKey: variantKey)
    }

    /// Removes every entry matching `predicate` from both tiers (purge by prefix, host or tag).
    public func removeAll(where predicate: @escaping @Sendable (CacheEntryMeta) -> Bool) {
        self.memory.removeAll(where: predicate)
        self.disk?.removeAll(where: predicate)
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
