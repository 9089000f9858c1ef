import NIOConcurrencyHelpers
import NIOCore

/// A byte-bounded LRU of response variants held in process memory.
///
/// Every byte counts toward ``limit``: the key strings, the variant key, every header name and value,
/// every tag, the body, and fixed bookkeeping overheads (see ``accountedSize(of:)``).
/// One LRU node per variant (primary key + variant key); an index primary key → variants makes
/// ``get(primaryKey:now:)`` return all variants of a URL in one lookup.
///
/// Cost: `get`, `put`, `remove…` and each eviction are O(1) in the number of stored entries
/// (a hash lookup plus intrusive doubly linked list splices over an array of nodes addressed by
/// index); they are linear only in the number of variants of one primary key, which `Vary` keeps small.
///
/// Concurrency: one `NIOLock` guards the whole tier. Critical sections are a hash lookup and a few
/// index writes (tens of ns), so a single lock beats per-event-loop shards: shards would split the
/// byte budget (one hot loop could not use another's share) and make a purge visit every shard.
/// See Docs/storage.md for the measured contention cost.
public final class MemoryTier: @unchecked Sendable {
    /// Fixed bookkeeping bytes charged per entry: the node (entry struct, links, size), its slot in the
    /// primary index, the header and tag array storage headers and the string/ByteBuffer allocations' headers.
    public static let entryOverhead: Int64 = 256
    /// Bytes charged per header field and per tag on top of their UTF-8 bytes (the pair's slot and string headers).
    public static let fieldOverhead: Int64 = 32

    /// The bytes one entry is charged:
    /// `utf8(primaryKey) + utf8(variantKey) + Σ(utf8(name) + utf8(value) + fieldOverhead)`
    /// `+ Σ(utf8(tag) + fieldOverhead) + body.storageCapacity + entryOverhead`.
    ///
    /// The body is charged for its allocation, not its readable bytes: SwiftNIO rounds every
    /// `ByteBuffer` allocation up to a power of two, so a 1.2 MiB body occupies 2 MiB.
    public static func accountedSize(of entry: CacheEntry) -> Int64 {
        accountedSize(meta: entry.meta, bodyBytes: max(entry.body.readableBytes, entry.body.storageCapacity))
    }

    /// The storage SwiftNIO allocates for a buffer of `bytes` (the next power of two).
    static func allocation(for bytes: Int) -> Int {
        bytes <= 1 ? bytes : 1 << (Int.bitWidth - (bytes - 1).leadingZeroBitCount)
    }

    static func accountedSize(meta: CacheEntryMeta, bodyBytes: Int) -> Int64 {
        var size = Int64(meta.primaryKey.utf8.count + meta.variantKey.utf8.count + bodyBytes) + entryOverhead
        for field in meta.headers {
            size += Int64(field.name.utf8.count + field.value.utf8.count) + fieldOverhead
        }
        for tag in meta.tags {
            size += Int64(tag.utf8.count) + fieldOverhead
        }
        return size
    }

    private struct Node {
        var entry: CacheEntry?
        var size: Int64
        var prev: Int
        var next: Int
    }

    private static let none = -1

    private let lock = NIOLock()
    // All below guarded by `lock`.
    private var nodes: ContiguousArray<Node> = []
    private var freeSlots: [Int] = []
    private var index: [String: [Int]] = [:]
    private var head = MemoryTier.none  // most recently used
    private var tail = MemoryTier.none  // least recently used
    private var _bytesUsed: Int64 = 0
    private var _count = 0
    private var _evictions = 0
    private var _mutationEpoch: UInt64 = 0

    private let _limit: Int64
    /// Bodies larger than this are not stored.
    public let maxObjectSize: Int64
    /// Variants kept per primary key: storing one more evicts that key's least recently used variant
    /// (a client sending endless values of a `Vary` field can't grow one URL's variant list).
    public let maxVariants: Int
    private var _variantEvictions = 0

    /// - Parameters:
    ///   - limit: the byte budget for all entries, as counted by ``accountedSize(of:)``.
    ///   - maxObjectSize: the largest body (in bytes) admitted.
    ///   - maxVariants: the most variants kept per primary key.
    public init(limit: Int64, maxObjectSize: Int64, maxVariants: Int = 32) {
        self._limit = max(0, limit)
        self.maxObjectSize = max(0, maxObjectSize)
        self.maxVariants = max(1, maxVariants)
    }

    /// Variants evicted because their primary key reached ``maxVariants``.
    public var variantEvictions: Int { self.lock.withLock { self._variantEvictions } }

    public var limit: Int64 { self._limit }
    public var bytesUsed: Int64 { self.lock.withLock { self._bytesUsed } }
    /// The number of stored variants.
    public var count: Int { self.lock.withLock { self._count } }
    /// Entries evicted to make room since creation (replacements and removals are not evictions).
    public var evictions: Int { self.lock.withLock { self._evictions } }

    /// Returns every stored variant of `primaryKey` (most recently stored first is not guaranteed),
    /// marks them most recently used and sets their `lastAccess` to `now`.
    public func get(primaryKey: String, now: Int64) -> [CacheEntry]? {
        self.lock.withLock {
            guard let slots = self.index[primaryKey], !slots.isEmpty else { return nil }
            var result: [CacheEntry] = []
            result.reserveCapacity(slots.count)
            for slot in slots {
                self.moveToFront(slot)
                self.nodes[slot].entry!.meta.lastAccess = now
                result.append(self.nodes[slot].entry!)
            }
            return result
        }
    }

    /// Like `get`, and also reports which variants had not been accessed since `staleBefore`
    /// (the tiered cache uses it to refresh the disk tier's access stamps sparingly).
    func get(primaryKey: String, now: Int64, staleBefore: Int64) -> (entries: [CacheEntry], stale: [String])? {
        self.lock.withLock {
            guard let slots = self.index[primaryKey], !slots.isEmpty else { return nil }
            var result: [CacheEntry] = []
            var stale: [String] = []
            result.reserveCapacity(slots.count)
            for slot in slots {
                self.moveToFront(slot)
                if self.nodes[slot].entry!.meta.lastAccess < staleBefore {
                    stale.append(self.nodes[slot].entry!.meta.variantKey)
                }
                self.nodes[slot].entry!.meta.lastAccess = now
                result.append(self.nodes[slot].entry!)
            }
            return (result, stale)
        }
    }

    /// Stores `entry`, replacing the same (primary key, variant key), as the most recently used entry,
    /// evicting least recently used entries until everything fits.
    /// - Returns: `false` (and stores nothing) when the body exceeds `maxObjectSize` or the entry alone exceeds `limit`.
    @discardableResult
    public func put(_ entry: CacheEntry) -> Bool {
        guard let (entry, size) = self.admissible(entry) else {
            // An object too large to store must not leave an older version behind.
            self.removeVariant(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey)
            return false
        }
        self.lock.withLock {
            self.insertLocked(entry, size: size)
        }
        return true
    }

    /// Inserts `entry` only when its variant is absent and nothing was removed or updated since
    /// `epoch` was read (promotion from disk must never resurrect a purged object or overwrite a newer one).
    func putIfAbsent(_ entry: CacheEntry, unchangedSince epoch: UInt64) -> Bool {
        guard let (entry, size) = self.admissible(entry) else { return false }
        return self.lock.withLock {
            guard self._mutationEpoch == epoch,
                self.slot(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey) == nil
            else { return false }
            self.insertLocked(entry, size: size)
            return true
        }
    }

    /// Replaces the variant only if it is already present (disk-first admission keeps a hot copy current).
    func replaceIfPresent(_ entry: CacheEntry) {
        guard let (entry, size) = self.admissible(entry) else {
            self.removeVariant(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey)
            return
        }
        self.lock.withLock {
            guard self.slot(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey) != nil else { return }
            self.insertLocked(entry, size: size)
        }
    }

    /// Counts removals and updates; read before a disk lookup, checked when promoting its result.
    var mutationEpoch: UInt64 { self.lock.withLock { self._mutationEpoch } }

    /// Replaces the meta of an existing variant, keeping its body, and re-accounts its bytes.
    /// `bodyLength` is kept equal to the stored body's length.
    /// - Returns: `false` when the variant is not stored.
    @discardableResult
    public func updateMeta(_ meta: CacheEntryMeta) -> Bool {
        self.lock.withLock {
            // Counted even when absent: a disk read that started before this update must not promote the old meta.
            self._mutationEpoch &+= 1
            guard let slot = self.slot(primaryKey: meta.primaryKey, variantKey: meta.variantKey) else { return false }
            var entry = self.nodes[slot].entry!
            entry.meta = meta
            entry.meta.bodyLength = Int64(entry.body.readableBytes)
            let size = Self.accountedSize(of: entry)
            self._bytesUsed += size - self.nodes[slot].size
            self.nodes[slot].entry = entry
            self.nodes[slot].size = size
            self.moveToFront(slot)
            if size > self._limit {
                self.removeSlot(slot)
                return false
            }
            self.evictLocked(toFit: 0)
            return true
        }
    }

    /// Removes every variant of `primaryKey`.
    /// - Returns: how many variants were removed.
    @discardableResult
    public func remove(primaryKey: String) -> Int {
        self.lock.withLock {
            self._mutationEpoch &+= 1
            guard let slots = self.index[primaryKey] else { return 0 }
            for slot in slots {
                self.removeSlot(slot)
            }
            return slots.count
        }
    }

    /// Removes one variant.
    /// - Returns: whether it was stored.
    @discardableResult
    public func removeVariant(primaryKey: String, variantKey: String) -> Bool {
        self.lock.withLock {
            self._mutationEpoch &+= 1
            guard let slot = self.slot(primaryKey: primaryKey, variantKey: variantKey) else { return false }
            self.removeSlot(slot)
            return true
        }
    }

    /// Removes every variant whose meta matches `predicate` (O(n): for purges).
    /// `predicate` runs under the tier's lock: it must not call back into this tier.
    /// - Returns: how many variants were removed.
    @discardableResult
    public func removeAll(where predicate: (CacheEntryMeta) -> Bool) -> Int {
        self.lock.withLock {
            self._mutationEpoch &+= 1
            var victims: [Int] = []
            var slot = self.head
            while slot != Self.none {
                if predicate(self.nodes[slot].entry!.meta) {
                    victims.append(slot)
                }
                slot = self.nodes[slot].next
            }
            for victim in victims {
                self.removeSlot(victim)
            }
            return victims.count
        }
    }

    /// The metas of every stored variant matching `predicate`, most recently used first (O(n): for purges
    /// and their dry runs). Does not touch the LRU order or `lastAccess`.
    /// `predicate` runs under the tier's lock: it must not call back into this tier.
    public func metas(where predicate: (CacheEntryMeta) -> Bool) -> [CacheEntryMeta] {
        self.lock.withLock {
            var result: [CacheEntryMeta] = []
            var slot = self.head
            while slot != Self.none {
                let meta = self.nodes[slot].entry!.meta
                if predicate(meta) {
                    result.append(meta)
                }
                slot = self.nodes[slot].next
            }
            return result
        }
    }

    /// Sets `softPurged = true` on every variant whose meta matches `predicate`, keeping its body, size
    /// and LRU position (one pass under the lock, so a concurrent `put` is never mixed with an old meta).
    /// `predicate` runs under the tier's lock: it must not call back into this tier.
    /// - Returns: how many variants matched (including ones already soft-purged).
    @discardableResult
    public func markSoftPurged(where predicate: (CacheEntryMeta) -> Bool) -> Int {
        self.lock.withLock {
            self._mutationEpoch &+= 1
            var matched = 0
            var slot = self.head
            while slot != Self.none {
                if predicate(self.nodes[slot].entry!.meta) {
                    matched += 1
                    self.nodes[slot].entry!.meta.softPurged = true  // same accounted size
                }
                slot = self.nodes[slot].next
            }
            return matched
        }
    }

    /// The stored entries from least to most recently used (for tests and diagnostics; O(n)).
    func entriesFromLeastRecentlyUsed() -> [CacheEntryMeta] {
        self.lock.withLock {
            var result: [CacheEntryMeta] = []
            var slot = self.tail
            while slot != Self.none {
                result.append(self.nodes[slot].entry!.meta)
                slot = self.nodes[slot].prev
            }
            return result
        }
    }

    // MARK: - Internals (call with `lock` held unless noted)

    /// Outside the lock: size checks, and compaction of a body whose storage is much larger than its
    /// bytes (a slice of a bigger read buffer would otherwise pin memory the accounting cannot see).
    private func admissible(_ entry: CacheEntry) -> (CacheEntry, Int64)? {
        guard Int64(entry.body.readableBytes) <= self.maxObjectSize else { return nil }
        var entry = entry
        let body = entry.body
        // A body that is a slice of a larger allocation (a socket read buffer, a buffer grown by
        // doubling) would keep all of it alive while counted by its readable bytes: store a copy.
        if body.storageCapacity > Self.allocation(for: body.readableBytes) {
            var compact = ByteBufferAllocator().buffer(capacity: body.readableBytes)
            compact.writeImmutableBuffer(body)
            entry.body = compact
        }
        entry.meta.bodyLength = Int64(entry.body.readableBytes)
        let size = Self.accountedSize(of: entry)
        guard size <= self._limit else { return nil }
        return (entry, size)
    }

    private func insertLocked(_ entry: CacheEntry, size: Int64) {
        if let old = self.slot(primaryKey: entry.meta.primaryKey, variantKey: entry.meta.variantKey) {
            self.removeSlot(old)
        }
        while let slots = self.index[entry.meta.primaryKey], slots.count >= self.maxVariants,
              let victim = slots.min(by: { self.nodes[$0].entry!.meta.lastAccess < self.nodes[$1].entry!.meta.lastAccess }) {
            self.removeSlot(victim)
            self._variantEvictions += 1
        }
        self.evictLocked(toFit: size)
        let slot: Int
        let node = Node(entry: entry, size: size, prev: Self.none, next: Self.none)
        if let free = self.freeSlots.popLast() {
            slot = free
            self.nodes[slot] = node
        } else {
            slot = self.nodes.count
            self.nodes.append(node)
        }
        self.linkAtFront(slot)
        self.index[entry.meta.primaryKey, default: []].append(slot)
        self._bytesUsed += size
        self._count += 1
    }

    private func slot(primaryKey: String, variantKey: String) -> Int? {
        guard let slots = self.index[primaryKey] else { return nil }
        for slot in slots where self.nodes[slot].entry!.meta.variantKey == variantKey {
            return slot
        }
        return nil
    }

    /// Evicts least recently used entries until `incoming` more bytes fit under the limit.
    private func evictLocked(toFit incoming: Int64) {
        while self._bytesUsed + incoming > self._limit, self.tail != Self.none {
            self.removeSlot(self.tail)
            self._evictions += 1
        }
    }

    private func removeSlot(_ slot: Int) {
        let primaryKey = self.nodes[slot].entry!.meta.primaryKey
        self.unlink(slot)
        self._bytesUsed -= self.nodes[slot].size
        self._count -= 1
        self.nodes[slot].entry = nil
        self.nodes[slot].size = 0
        self.freeSlots.append(slot)
        if var slots = self.index[primaryKey] {
            self.index[primaryKey] = nil  // release the array's storage reference so removal below is in place
            if let position = slots.firstIndex(of: slot) {
                slots.remove(at: position)
            }
            if !slots.isEmpty {
                self.index[primaryKey] = slots
            }
        }
    }

    private func moveToFront(_ slot: Int) {
        guard self.head != slot else { return }
        self.unlink(slot)
        self.linkAtFront(slot)
    }

    private func linkAtFront(_ slot: Int) {
        self.nodes[slot].prev = Self.none
        self.nodes[slot].next = self.head
        if self.head != Self.none {
            self.nodes[self.head].prev = slot
        }
        self.head = slot
        if self.tail == Self.none {
            self.tail = slot
        }
    }

    private func unlink(_ slot: Int) {
        let prev = self.nodes[slot].prev
        let next = self.nodes[slot].next
        if prev != Self.none {
            self.nodes[prev].next = next
        } else {
            self.head = next
        }
        if next != Self.none {
            self.nodes[next].prev = prev
        } else {
            self.tail = prev
        }
        self.nodes[slot].prev = Self.none
        self.nodes[slot].next = Self.none
    }
}
