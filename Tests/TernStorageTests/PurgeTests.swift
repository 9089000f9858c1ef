import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import TernStorage

/// Purge support: scans (`metas(where:)`), soft purge, counts, and purge-vs-fill generations.
final class PurgeTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var pool: NIOThreadPool!
    private var directories: [String] = []

    override func setUp() {
        super.setUp()
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.pool = NIOThreadPool(numberOfThreads: 1)
        self.pool.start()
    }

    override func tearDown() {
        try? self.pool.syncShutdownGracefully()
        try? self.group.syncShutdownGracefully()
        for directory in self.directories {
            removeTemporaryDirectory(directory)
        }
        self.directories = []
        super.tearDown()
    }

    /// A tier whose writer holds queued ops for `batchDelayMilliseconds` (unless flushed).
    private func openDisk(_ directory: String? = nil, batchDelayMilliseconds: Int = 2, function: String = #function) throws -> (DiskTier, String) {
        let directory = directory ?? makeTemporaryDirectory(function)
        if !self.directories.contains(directory) { self.directories.append(directory) }
        let tier = try DiskTier(
            configuration: .init(directory: directory, limit: 64 << 20, batchDelayMilliseconds: batchDelayMilliseconds)
        )
        return (tier, directory)
    }

    private func makeCache(
        _ directory: String? = nil,
        batchDelayMilliseconds: Int = 2,
        purgeHistoryCapacity: Int = 1024,
        function: String = #function
    ) throws -> (TieredCache, String) {
        let (disk, directory) = try self.openDisk(directory, batchDelayMilliseconds: batchDelayMilliseconds, function: function)
        let cache = TieredCache(
            memory: MemoryTier(limit: 1 << 20, maxObjectSize: 256 << 10),
            disk: disk,
            threadPool: self.pool,
            purgeHistoryCapacity: purgeHistoryCapacity
        )
        return (cache, directory)
    }

    private func ids(_ metas: [CacheEntryMeta]) -> Set<String> {
        Set(metas.map { "\($0.primaryKey)|\($0.variantKey)" })
    }

    // MARK: - MemoryTier

    func testMemoryMetasWhereDoesNotTouchTheLRU() {
        let tier = MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 20)
        tier.put(makeEntry("https://a.example/1", tags: ["t"]))
        tier.put(makeEntry("https://a.example/2"))
        tier.put(makeEntry("https://b.example/1", tags: ["t"]))
        let before = tier.entriesFromLeastRecentlyUsed()
        let matched = tier.metas { $0.primaryKey.hasPrefix("https://a.example/") }
        XCTAssertEqual(Set(matched.map(\.primaryKey)), ["https://a.example/1", "https://a.example/2"])
        XCTAssertEqual(tier.metas { $0.tags.contains("t") }.count, 2)
        XCTAssertEqual(tier.metas { _ in false }, [])
        XCTAssertEqual(tier.entriesFromLeastRecentlyUsed(), before)  // order and lastAccess unchanged
    }

    func testMemoryMarkSoftPurgedKeepsBodyAccountingAndOrder() {
        let tier = MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 20)
        tier.put(makeEntry("a", bodySize: 100, seed: 1, tags: ["t"]))
        tier.put(makeEntry("b", bodySize: 100, seed: 2))
        let bytes = tier.bytesUsed
        let order = tier.entriesFromLeastRecentlyUsed().map(\.primaryKey)
        let epoch = tier.mutationEpoch
        XCTAssertEqual(tier.markSoftPurged { $0.tags.contains("t") }, 1)
        XCTAssertNotEqual(tier.mutationEpoch, epoch)  // an in-flight disk promotion is refused
        XCTAssertEqual(tier.bytesUsed, bytes)
        XCTAssertEqual(tier.entriesFromLeastRecentlyUsed().map(\.primaryKey), order)
        let a = tier.get(primaryKey: "a", now: 5)!.first!
        XCTAssertTrue(a.meta.softPurged)
        XCTAssertEqual(bodyBytes(a), patternBytes(count: 100, seed: 1))
        XCTAssertFalse(tier.get(primaryKey: "b", now: 5)!.first!.meta.softPurged)
        XCTAssertEqual(tier.markSoftPurged { $0.tags.contains("t") }, 1)  // already flagged still counts
    }

    // MARK: - DiskTier

    func testDiskMetasWhereReadsNoBodies() throws {
        let (tier, _) = try self.openDisk()
        defer { tier.close() }
        tier.put(makeEntry("https://a.example/x", bodySize: 3_000, seed: 1, tags: ["t"]))
        tier.put(makeEntry("https://a.example/x", variantKey: "gzip", bodySize: 500, seed: 2))
        tier.put(makeEntry("https://b.example/y", bodySize: 10, seed: 3))
        tier.flush()
        // Corrupt one body and delete another: a meta scan must neither notice nor count them.
        try tier.withRawWriteTransaction { txn, store in
            let key = Digest.variant(primaryKey: "https://a.example/x", variantKey: "").bytes
            var bytes = Array(try XCTUnwrap(try txn.get(store.body, key)))
            bytes[7] ^= 0xFF
            try txn.put(store.body, key, bytes)
            try txn.delete(store.body, Digest.variant(primaryKey: "https://a.example/x", variantKey: "gzip").bytes)
        }
        let metas = try tier.metas { $0.primaryKey.hasPrefix("https://a.example/") }
        XCTAssertEqual(self.ids(metas), ["https://a.example/x|", "https://a.example/x|gzip"])
        XCTAssertEqual(metas.first { $0.variantKey == "" }?.bodyLength, 3_000)
        XCTAssertEqual(metas.first { $0.variantKey == "" }?.tags, ["t"])
        XCTAssertEqual(try tier.metas { _ in true }.count, 3)
        XCTAssertEqual(tier.checksumFailures, 0)
        XCTAssertEqual(tier.count, 3)
    }

    func testDiskMetasReflectQueuedWritesLikeGet() throws {
        let (tier, _) = try self.openDisk(batchDelayMilliseconds: 5_000)
        defer { tier.close() }
        tier.put(makeEntry("a", tags: ["x"]))
        tier.put(makeEntry("b", tags: ["x"]))
        tier.put(makeEntry("c"))
        tier.put(makeEntry("d", tags: ["x"]))
        tier.put(makeEntry("f", tags: ["x"]))
        tier.flush()
        XCTAssertEqual(tier.count, 5)

        // Queued for ~5 s: none of these is committed while we look.
        tier.put(makeEntry("e", tags: ["x"]))
        tier.remove(primaryKey: "b")
        var cMeta = makeEntry("c").meta
        cMeta.tags = ["x"]  // a queued update adds the tag: not in the tag index yet
        tier.updateMeta(cMeta)
        var fMeta = makeEntry("f").meta
        fMeta.tags = []  // a queued update drops the tag
        tier.updateMeta(fMeta)
        tier.removeAll { $0.primaryKey == "d" }
        tier.markSoftPurged { $0.primaryKey == "a" }
        tier.put(makeEntry("a", variantKey: "v", tags: ["x"]))  // after the soft purge: not flagged

        func check(_ stage: String) throws {
            let all = try tier.metas { _ in true }
            XCTAssertEqual(self.ids(all), ["a|", "a|v", "c|", "e|", "f|"], stage)
            let byID = Dictionary(uniqueKeysWithValues: all.map { ("\($0.primaryKey)|\($0.variantKey)", $0) })
            XCTAssertEqual(byID["a|"]?.softPurged, true, stage)
            XCTAssertEqual(byID["a|v"]?.softPurged, false, stage)
            XCTAssertEqual(byID["c|"]?.tags, ["x"], stage)
            XCTAssertEqual(byID["f|"]?.tags, [], stage)
            // Exactly what get answers, key by key.
            for key in ["a", "b", "c", "d", "e", "f"] {
                let fromGet = try tier.get(primaryKey: key)?.map(\.meta) ?? []
                XCTAssertEqual(self.ids(fromGet), self.ids(all.filter { $0.primaryKey == key }), "\(stage) \(key)")
                for meta in fromGet {
                    XCTAssertEqual(byID["\(meta.primaryKey)|\(meta.variantKey)"], meta, "\(stage) \(key)")
                }
            }
            XCTAssertEqual(self.ids(try tier.metas(taggedWith: "x")), ["a|", "a|v", "c|", "e|"], stage)
            XCTAssertEqual(try tier.metas(taggedWith: "x").first { $0.primaryKey == "a" && $0.variantKey == "" }?.softPurged, true)
            XCTAssertEqual(self.ids(try tier.metas { $0.tags.contains("x") }), ["a|", "a|v", "c|", "e|"], stage)
        }
        try check("queued")
        XCTAssertEqual(tier.count, 5, "the writes above must still be queued")
        tier.flush()
        XCTAssertEqual(tier.count, 5)  // +e, +a|v, -b, -d
        try check("committed")
    }

    func testQueuedPurgeAndMetaUpdateApplyInQueueOrder() throws {
        let (tier, _) = try self.openDisk(batchDelayMilliseconds: 5_000)
        defer { tier.close() }
        tier.put(makeEntry("p", tags: ["t"]))
        tier.put(makeEntry("q", tags: ["t"]))
        tier.flush()
        var untagged = makeEntry("p").meta
        untagged.tags = []
        // p: purge by tag, then an update that drops the tag → the writer removes p first.
        tier.removeAll { $0.tags.contains("t") && $0.primaryKey == "p" }
        tier.updateMeta(untagged)
        // q: update that drops the tag, then purge by tag → q survives (untagged).
        untagged.primaryKey = "q"
        tier.updateMeta(untagged)
        tier.removeAll { $0.tags.contains("t") && $0.primaryKey == "q" }
        XCTAssertNil(try tier.get(primaryKey: "p"))
        XCTAssertEqual(try tier.get(primaryKey: "q")?.count, 1)
        XCTAssertEqual(self.ids(try tier.metas { _ in true }), ["q|"])
        XCTAssertEqual(tier.count, 2, "still queued")
        tier.flush()
        XCTAssertNil(try tier.get(primaryKey: "p"))
        XCTAssertEqual(self.ids(try tier.metas { _ in true }), ["q|"])
        XCTAssertEqual(tier.count, 1)
    }

    func testDiskSoftPurgeKeepsBodiesAndSurvivesReopen() throws {
        let (tier, directory) = try self.openDisk(batchDelayMilliseconds: 5_000)
        tier.put(makeEntry("s", bodySize: 2_000, seed: 9, tags: ["t"]))
        tier.put(makeEntry("s", variantKey: "gzip", bodySize: 300, seed: 8))
        tier.put(makeEntry("other", tags: ["t"]))
        tier.flush()
        let bytes = tier.bytesUsed
        tier.markSoftPurged { $0.primaryKey == "s" }
        // Visible before the commit.
        XCTAssertEqual(try tier.get(primaryKey: "s")?.map(\.meta.softPurged), [true, true])
        XCTAssertEqual(try tier.metas(taggedWith: "t").first { $0.primaryKey == "s" }?.softPurged, true)
        XCTAssertEqual(try tier.get(primaryKey: "other")?.first?.meta.softPurged, false)
        tier.flush()
        XCTAssertEqual(tier.bytesUsed, bytes)
        XCTAssertEqual(tier.count, 3)
        tier.close()

        let (reopened, _) = try self.openDisk(directory)
        defer { reopened.close() }
        let entries = try XCTUnwrap(reopened.get(primaryKey: "s"))
        XCTAssertEqual(entries.count, 2)
        for entry in entries {
            XCTAssertTrue(entry.meta.softPurged)
            XCTAssertEqual(entry.meta.tags, entry.meta.variantKey == "" ? ["t"] : [])
        }
        XCTAssertEqual(entries.first { $0.meta.variantKey == "" }.map(bodyBytes), patternBytes(count: 2_000, seed: 9))
        XCTAssertEqual(entries.first { $0.meta.variantKey == "gzip" }.map(bodyBytes), patternBytes(count: 300, seed: 8))
        XCTAssertEqual(reopened.checksumFailures, 0)
        XCTAssertEqual(try reopened.get(primaryKey: "other")?.first?.meta.softPurged, false)
        XCTAssertEqual(reopened.bytesUsed, bytes)
    }

    // MARK: - TieredCache

    func testTieredMetasUnionMemoryWins() throws {
        let (cache, _) = try self.makeCache(batchDelayMilliseconds: 5_000)
        defer { cache.close() }
        cache.store(makeEntry("https://h/1"))
        cache.store(makeEntry("https://h/1", variantKey: "gzip"))
        cache.store(makeEntry("https://h/2"))
        cache.flush()
        cache.memory.remove(primaryKey: "https://h/2")  // disk only
        cache.memory.put(makeEntry("https://h/3"))  // memory only
        cache.disk!.put(makeEntry("https://h/4", tags: ["queued"]))  // disk only, still queued
        cache.store(makeEntry("https://other/1"))
        var newer = makeEntry("https://h/1").meta
        newer.headers.replaceOrAdd(name: "etag", value: "\"mem\"")
        cache.memory.updateMeta(newer)  // memory's copy differs from disk's

        let metas = cache.metas { $0.primaryKey.hasPrefix("https://h/") }
        XCTAssertEqual(
            metas.map { "\($0.primaryKey)|\($0.variantKey)" },
            ["https://h/1|", "https://h/1|gzip", "https://h/2|", "https://h/3|", "https://h/4|"]
        )
        XCTAssertEqual(metas.first?.headers["etag"], ["\"mem\""])
        let viaFuture = try cache.metas(where: { $0.primaryKey.hasPrefix("https://h/") }, on: self.group.next()).wait()
        XCTAssertEqual(viaFuture, metas)
        XCTAssertEqual(cache.metas { _ in true }.count, 6)
        XCTAssertEqual(cache.disk!.count, 3, "h/4 and other/1 still queued")

        let memoryOnly = TieredCache(memory: MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 20), disk: nil, threadPool: self.pool)
        memoryOnly.store(makeEntry("k"))
        XCTAssertEqual(memoryOnly.metas { _ in true }.map(\.primaryKey), ["k"])
        XCTAssertEqual(try memoryOnly.metas(where: { _ in true }, on: self.group.next()).wait().count, 1)
        XCTAssertEqual(memoryOnly.removeAll { _ in true }, 1)
        XCTAssertEqual(memoryOnly.memory.count, 0)
    }

    func testTieredRemoveAllByTagCountsAndClearsTheTagIndex() throws {
        let (cache, _) = try self.makeCache(batchDelayMilliseconds: 5_000)
        defer { cache.close() }
        cache.store(makeEntry("a", tags: ["prod-1", "home"]))
        cache.store(makeEntry("a", variantKey: "gzip", tags: ["prod-1"]))
        cache.store(makeEntry("b", tags: ["home"]))
        cache.flush()
        cache.memory.remove(primaryKey: "a")  // "a" only on disk now
        cache.store(makeEntry("c", tags: ["prod-1"]))  // queued on disk, also in memory
        let isProduct: @Sendable (CacheEntryMeta) -> Bool = { $0.tags.contains("prod-1") }

        XCTAssertEqual(cache.metas(where: isProduct).count, 3)  // dry run
        XCTAssertEqual(cache.disk!.count, 3, "c still queued")
        XCTAssertEqual(cache.removeAll(where: isProduct), 3)
        XCTAssertEqual(cache.metas(where: isProduct), [])
        XCTAssertEqual(try cache.disk!.metas(taggedWith: "prod-1"), [])
        XCTAssertNil(try cache.lookup(primaryKey: "a", now: 1, eventLoop: self.group.next()).wait())
        XCTAssertNil(try cache.lookup(primaryKey: "c", now: 1, eventLoop: self.group.next()).wait())
        XCTAssertEqual(try cache.lookup(primaryKey: "b", now: 1, eventLoop: self.group.next()).wait()?.count, 1)
        cache.flush()
        XCTAssertEqual(cache.disk!.count, 1)
        // The tag index lost the removed digests in the same transactions; "home" keeps only b.
        try cache.disk!.withRawWriteTransaction { txn, store in
            XCTAssertEqual(try txn.duplicates(store.tags, DiskStore.tagKey("prod-1")), [])
            XCTAssertEqual(try txn.duplicates(store.tags, DiskStore.tagKey("home")).count, 1)
        }
        XCTAssertEqual(try cache.disk!.metas(taggedWith: "home").map(\.primaryKey), ["b"])
        XCTAssertEqual(try cache.removeAll(where: { _ in true }, on: self.group.next()).wait(), 1)
        XCTAssertEqual(cache.metas { _ in true }, [])
    }

    func testTieredSoftPurgeKeepsBodiesInBothTiersAndSurvivesReopen() throws {
        let (cache, directory) = try self.makeCache(batchDelayMilliseconds: 5_000)
        cache.store(makeEntry("https://h/a", bodySize: 1_000, seed: 1))
        cache.store(makeEntry("https://h/b", bodySize: 1_000, seed: 2))
        cache.flush()
        cache.store(makeEntry("https://h/c", bodySize: 1_000, seed: 3))  // queued
        cache.store(makeEntry("https://x/d", bodySize: 1_000, seed: 4))
        let generation = cache.purgeGeneration
        XCTAssertEqual(cache.markSoftPurged { $0.primaryKey.hasPrefix("https://h/") }, 3)
        XCTAssertEqual(cache.purgeGeneration, generation + 1)
        for (key, seed) in [("https://h/a", UInt8(1)), ("https://h/b", 2), ("https://h/c", 3)] {
            let memory = try XCTUnwrap(cache.lookupMemory(primaryKey: key, now: 1)?.first)
            XCTAssertTrue(memory.meta.softPurged, key)
            XCTAssertEqual(bodyBytes(memory), patternBytes(count: 1_000, seed: seed))
            let disk = try XCTUnwrap(cache.disk!.get(primaryKey: key)?.first)  // before the commit
            XCTAssertTrue(disk.meta.softPurged, key)
            XCTAssertEqual(bodyBytes(disk), patternBytes(count: 1_000, seed: seed))
        }
        XCTAssertEqual(cache.lookupMemory(primaryKey: "https://x/d", now: 1)?.first?.meta.softPurged, false)
        XCTAssertEqual(try cache.markSoftPurged(where: { $0.primaryKey == "https://x/d" }, on: self.group.next()).wait(), 1)
        cache.close()

        let (reopened, _) = try self.makeCache(directory)
        defer { reopened.close() }
        let all = reopened.metas { _ in true }
        XCTAssertEqual(all.count, 4)
        XCTAssertTrue(all.allSatisfy(\.softPurged))
        let entries = try XCTUnwrap(reopened.lookup(primaryKey: "https://h/c", now: 2, eventLoop: self.group.next()).wait())
        XCTAssertEqual(entries.map(bodyBytes), [patternBytes(count: 1_000, seed: 3)])
        XCTAssertTrue(entries[0].meta.softPurged)
        XCTAssertEqual(reopened.disk!.checksumFailures, 0)
    }

    // MARK: - Purge vs. concurrent fill

    func testStoreStartedBeforeAMatchingPurgeIsRefused() throws {
        let (cache, _) = try self.makeCache(batchDelayMilliseconds: 5_000)
        defer { cache.close() }
        cache.store(makeEntry("https://h/a", seed: 1))
        let fillStart = cache.purgeGeneration  // a fill of https://h/a starts…
        XCTAssertEqual(cache.removeAll { $0.primaryKey.hasPrefix("https://h/") }, 1)  // …a purge runs…
        XCTAssertGreaterThan(cache.purgeGeneration, fillStart)
        // …and the fill completes: refused, and nothing comes back.
        XCTAssertFalse(cache.store(makeEntry("https://h/a", seed: 2), startedAtGeneration: fillStart))
        XCTAssertNil(cache.lookupMemory(primaryKey: "https://h/a", now: 1))
        XCTAssertNil(try cache.disk!.get(primaryKey: "https://h/a"))
        // A fill the purge does not match is stored.
        XCTAssertTrue(cache.store(makeEntry("https://other/a"), startedAtGeneration: fillStart))
        XCTAssertNotNil(cache.lookupMemory(primaryKey: "https://other/a", now: 1))
        // A fill that started after the purge is stored.
        XCTAssertTrue(cache.store(makeEntry("https://h/a", seed: 3), startedAtGeneration: cache.purgeGeneration))
        XCTAssertEqual(try cache.disk!.get(primaryKey: "https://h/a")?.map(bodyBytes), [patternBytes(count: 16, seed: 3)])

        // remove, removeVariant and soft purges count as purges too.
        for purge in [
            { cache.remove(primaryKey: "https://h/a") },
            { cache.removeVariant(primaryKey: "https://h/a", variantKey: "") },
            { cache.markSoftPurged { $0.primaryKey == "https://h/a" } },
        ] as [() -> Void] {
            let start = cache.purgeGeneration
            purge()
            XCTAssertEqual(cache.purgeGeneration, start + 1)
            XCTAssertFalse(cache.store(makeEntry("https://h/a", seed: 4), startedAtGeneration: start))
            XCTAssertTrue(cache.store(makeEntry("https://h/b"), startedAtGeneration: start))
        }
        // Tag purge: matched by the stored entry's tags.
        let start = cache.purgeGeneration
        cache.removeAll { $0.tags.contains("prod-7") }
        XCTAssertFalse(cache.store(makeEntry("https://h/t", tags: ["prod-7"]), startedAtGeneration: start))
        XCTAssertTrue(cache.store(makeEntry("https://h/u", tags: ["prod-8"]), startedAtGeneration: start))
        // updateMeta and lookups are not purges.
        let before = cache.purgeGeneration
        cache.updateMeta(makeEntry("https://h/u").meta)
        _ = cache.lookupMemory(primaryKey: "https://h/u", now: 1)
        XCTAssertEqual(cache.purgeGeneration, before)
    }

    func testPurgeHistoryOverflowRefusesConservatively() throws {
        let (cache, _) = try self.makeCache(purgeHistoryCapacity: 4)
        defer { cache.close() }
        let oldest = cache.purgeGeneration
        cache.remove(primaryKey: "unrelated-1")
        let afterFirst = cache.purgeGeneration
        for index in 2...5 {
            cache.remove(primaryKey: "unrelated-\(index)")
        }
        // 5 purges, 4 remembered: the first is forgotten, so a fill from before it cannot be cleared.
        XCTAssertFalse(cache.store(makeEntry("k"), startedAtGeneration: oldest))
        XCTAssertNil(cache.lookupMemory(primaryKey: "k", now: 1))
        // A fill that saw the first purge is checked against the 4 remembered ones (none matches).
        XCTAssertTrue(cache.store(makeEntry("k"), startedAtGeneration: afterFirst))
        XCTAssertTrue(cache.store(makeEntry("k2"), startedAtGeneration: cache.purgeGeneration))
        // The ring keeps working after wrapping around several times.
        for index in 0..<10 {
            cache.remove(primaryKey: "more-\(index)")
        }
        let recent = cache.purgeGeneration - 4
        XCTAssertTrue(cache.store(makeEntry("k3"), startedAtGeneration: recent))
        XCTAssertFalse(cache.store(makeEntry("k3"), startedAtGeneration: recent - 1))
        cache.remove(primaryKey: "k4")
        XCTAssertFalse(cache.store(makeEntry("k4"), startedAtGeneration: cache.purgeGeneration - 1))
        XCTAssertTrue(cache.store(makeEntry("k5"), startedAtGeneration: cache.purgeGeneration - 1))
    }

    func testConcurrentConditionalFillsAndPurgesStayConsistent() throws {
        let (cache, _) = try self.makeCache()
        defer { cache.close() }
        let rounds = 300
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            for index in 0..<rounds {
                let start = cache.purgeGeneration
                cache.store(makeEntry("race", seed: UInt8(index % 256)), startedAtGeneration: start)
            }
            done.signal()
        }
        for _ in 0..<rounds {
            cache.removeAll { $0.primaryKey == "race" }
        }
        done.wait()
        // One final purge after the writer finished: nothing may remain, whatever the interleaving.
        let last = cache.purgeGeneration
        cache.removeAll { $0.primaryKey == "race" }
        XCTAssertFalse(cache.store(makeEntry("race"), startedAtGeneration: last))
        XCTAssertNil(cache.lookupMemory(primaryKey: "race", now: 1))
        cache.flush()
        XCTAssertNil(try cache.disk!.get(primaryKey: "race"))
    }
}
