import CLMDB
import Foundation
import NIOCore
import NIOHTTP1
import XCTest

@testable import TernStorage

/// A thread-safe counter for test workers.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        self.lock.lock()
        self.count += 1
        self.lock.unlock()
    }

    var value: Int {
        self.lock.lock()
        defer { self.lock.unlock() }
        return self.count
    }
}

final class DiskTierTests: XCTestCase {
    private var directories: [String] = []

    override func tearDown() {
        for directory in self.directories {
            removeTemporaryDirectory(directory)
        }
        self.directories = []
        super.tearDown()
    }

    private func open(
        _ directory: String? = nil,
        limit: Int64 = 64 << 20,
        mapSize: Int64? = nil,
        maxQueueBytes: Int64 = 64 << 20,
        batchDelayMilliseconds: Int = 2,
        function: String = #function
    ) throws -> (DiskTier, String) {
        let directory = directory ?? makeTemporaryDirectory(function)
        if !self.directories.contains(directory) { self.directories.append(directory) }
        let tier = try DiskTier(
            configuration: .init(
                directory: directory,
                limit: limit,
                mapSize: mapSize,
                maxQueueBytes: maxQueueBytes,
                batchDelayMilliseconds: batchDelayMilliseconds
            )
        )
        return (tier, directory)
    }

    func testRoundTripWithHeadersTagsAndAKeyLongerThanLMDBsKeyLimit() throws {
        let (tier, _) = try self.open()
        defer { tier.close() }
        let longKey = "https://example.com/" + String(repeating: "segment/", count: 250)  // ~2 KB > 511
        var entry = makeEntry(
            longKey,
            variantKey: "accept-encoding=gzip",
            bodySize: 5_000,
            seed: 3,
            headers: [("Content-Type", "text/html"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("ETag", "\"x\"")],
            tags: ["product-1", "home"]
        )
        entry.meta.softPurged = true
        entry.meta.lastAccess = 1_234
        tier.put(entry)
        tier.flush()
        XCTAssertEqual(tier.count, 1)
        let record = EntryRecord(meta: entry.meta, storedSize: 0, lruSequence: 0, bodyChecksum: 0).encoded()
        let tagKeyBytes: Int64 = 1 + 9 + 1 + 4  // 0x01 ‖ "product-1", 0x01 ‖ "home"
        let tagBytes: Int64 = tagKeyBytes + 2 * 24
        XCTAssertEqual(tier.bytesUsed, Int64(record.count) + 5_000 + tagBytes + DiskTier.entryOverhead)
        let got = try XCTUnwrap(tier.get(primaryKey: longKey))
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got[0].meta, entry.meta)
        XCTAssertEqual(bodyBytes(got[0]), patternBytes(count: 5_000, seed: 3))
        XCTAssertNil(try tier.get(primaryKey: longKey + "x"))
        XCTAssertEqual(try tier.allPrimaryKeys(), [longKey])
        XCTAssertEqual(try tier.metas(taggedWith: "home").map(\.primaryKey), [longKey])
        XCTAssertEqual(try tier.metas(taggedWith: "nope").count, 0)
    }

    func testVariantsRemovesAndUpdateMeta() throws {
        let (tier, _) = try self.open()
        defer { tier.close() }
        tier.put(makeEntry("k", bodySize: 10, tags: ["t"]))
        tier.put(makeEntry("k", variantKey: "br", bodySize: 20))
        tier.put(makeEntry("other"))
        tier.flush()
        XCTAssertEqual(Set(try tier.get(primaryKey: "k")?.map(\.meta.variantKey) ?? []), ["", "br"])

        var meta = makeEntry("k", bodySize: 10).meta
        meta.headers.replaceOrAdd(name: "age", value: "0")
        meta.tags = ["u"]
        meta.bodyLength = 999  // ignored
        tier.updateMeta(meta)
        tier.flush()
        let updated = try XCTUnwrap(tier.get(primaryKey: "k")?.first { $0.meta.variantKey == "" })
        XCTAssertEqual(updated.meta.headers["age"], ["0"])
        XCTAssertEqual(updated.meta.bodyLength, 10)
        XCTAssertEqual(bodyBytes(updated), patternBytes(count: 10, seed: 0))
        XCTAssertEqual(try tier.metas(taggedWith: "t").count, 0)
        XCTAssertEqual(try tier.metas(taggedWith: "u").count, 1)

        tier.removeVariant(primaryKey: "k", variantKey: "br")
        tier.flush()
        XCTAssertEqual(try tier.get(primaryKey: "k")?.map(\.meta.variantKey), [""])
        tier.remove(primaryKey: "k")
        tier.flush()
        XCTAssertNil(try tier.get(primaryKey: "k"))
        XCTAssertEqual(tier.count, 1)
        tier.removeAll { $0.primaryKey == "other" }
        tier.flush()
        XCTAssertEqual(tier.count, 0)
        XCTAssertEqual(tier.bytesUsed, 0)
    }

    func testReadsSeeQueuedWritesBeforeTheyAreCommitted() throws {
        let (tier, _) = try self.open(batchDelayMilliseconds: 300)
        defer { tier.close() }
        tier.put(makeEntry("a", seed: 1))
        tier.flush()
        tier.put(makeEntry("a", seed: 2))  // replaces; still queued for ~300 ms
        XCTAssertEqual(try tier.get(primaryKey: "a").map { $0.map(bodyBytes) }, [patternBytes(count: 16, seed: 2)])
        tier.remove(primaryKey: "a")
        XCTAssertNil(try tier.get(primaryKey: "a"))
        tier.put(makeEntry("a", variantKey: "v", seed: 3))
        XCTAssertEqual(try tier.get(primaryKey: "a")?.map(\.meta.variantKey), ["v"])
        tier.removeAll { $0.variantKey == "v" }
        XCTAssertNil(try tier.get(primaryKey: "a"))
        tier.flush()
        XCTAssertNil(try tier.get(primaryKey: "a"))
        XCTAssertEqual(tier.count, 0)
    }

    func testReopenKeepsData() throws {
        let (tier, directory) = try self.open()
        for index in 0..<50 {
            tier.put(makeEntry("key-\(index)", bodySize: 100 + index * 37, seed: UInt8(index)))
        }
        tier.close()
        let bytes = tier.bytesUsed
        tier.close()  // idempotent
        XCTAssertThrowsError(try tier.get(primaryKey: "key-1")) { XCTAssertEqual($0 as? DiskTierError, .closed) }

        let (reopened, _) = try self.open(directory)
        defer { reopened.close() }
        XCTAssertEqual(reopened.count, 50)
        XCTAssertEqual(reopened.bytesUsed, bytes)
        XCTAssertEqual(try reopened.allPrimaryKeys().count, 50)
        for index in 0..<50 {
            let entry = try XCTUnwrap(reopened.get(primaryKey: "key-\(index)")?.first)
            XCTAssertEqual(bodyBytes(entry), patternBytes(count: 100 + index * 37, seed: UInt8(index)))
        }
    }

    func testOpeningErrorsAreClear() throws {
        let (tier, directory) = try self.open()
        defer { tier.close() }
        XCTAssertThrowsError(try DiskTier(configuration: .init(directory: directory, limit: 1 << 20))) {
            XCTAssertEqual($0 as? DiskTierError, .alreadyInUse(path: directory))
        }
        let file = directory + "-file"
        self.directories.append(file)
        _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
        XCTAssertThrowsError(try DiskTier(configuration: .init(directory: file + "/cache", limit: 1 << 20))) {
            guard case .directoryUnusable(let path, _) = $0 as? DiskTierError else {
                return XCTFail("unexpected \($0)")
            }
            XCTAssertEqual(path, file + "/cache")
            XCTAssertTrue("\($0)".contains("cannot create"), "\($0)")
        }
        let garbage = makeTemporaryDirectory()
        self.directories.append(garbage)
        _ = FileManager.default.createFile(atPath: garbage + "/data.mdb", contents: Data(repeating: 0x41, count: 65_536))
        // A data.mdb that is not a readable LMDB environment is a damaged store (issue 13): refused
        // with on_damage: fail, moved aside by default (DiskFaultTests).
        var refuse = DiskTier.Configuration(directory: garbage, limit: 1 << 20)
        refuse.onDamage = .fail
        XCTAssertThrowsError(try DiskTier(configuration: refuse)) {
            guard case .damaged = $0 as? DiskTierError else { return XCTFail("unexpected \($0)") }
        }
        XCTAssertThrowsError(try DiskTier(configuration: .init(directory: garbage, limit: 1 << 20, mapSize: 4_096))) {
            guard case .invalidConfiguration = $0 as? DiskTierError else { return XCTFail("unexpected \($0)") }
        }
    }

    func testCorruptBodyIsDetectedCountedDroppedAndMissed() throws {
        let (tier, _) = try self.open()
        defer { tier.close() }
        tier.put(makeEntry("victim", bodySize: 4_000, seed: 5))
        tier.put(makeEntry("victim", variantKey: "gzip", bodySize: 100, seed: 6))
        tier.flush()
        // Flip one byte of the stored body directly in LMDB.
        try tier.withRawWriteTransaction { txn, store in
            let key = Digest.variant(primaryKey: "victim", variantKey: "").bytes
            var bytes = Array(try XCTUnwrap(try txn.get(store.body, key)))
            bytes[1_234] ^= 0xFF
            try txn.put(store.body, key, bytes)
        }
        let entries = try XCTUnwrap(tier.get(primaryKey: "victim"))
        XCTAssertEqual(entries.map(\.meta.variantKey), ["gzip"])  // the intact variant is still served
        XCTAssertEqual(tier.checksumFailures, 1)
        tier.flush()
        XCTAssertEqual(tier.count, 1)  // the corrupt one was deleted through the writer
        XCTAssertEqual(try tier.get(primaryKey: "victim")?.count, 1)
        XCTAssertEqual(tier.checksumFailures, 1)
    }

    func testEvictsOldestBeyondLimitAndTouchProtects() throws {
        let one = try self.sizeOnDisk(makeEntry("key-00", bodySize: 1_000))
        let (tier, _) = try self.open(limit: one * 10)
        defer { tier.close() }
        for index in 0..<10 {
            tier.put(makeEntry(String(format: "key-%02d", index), bodySize: 1_000))
            tier.flush()  // one commit each: a deterministic order
        }
        XCTAssertEqual(tier.count, 10)
        XCTAssertEqual(tier.evictions, 0)
        tier.touch(primaryKey: "key-00", variantKey: "", now: 50_000)
        tier.flush()
        tier.put(makeEntry("key-10", bodySize: 1_000))
        tier.flush()
        XCTAssertEqual(tier.count, 10)
        XCTAssertEqual(tier.evictions, 1)
        XCTAssertNil(try tier.get(primaryKey: "key-01"))
        let touched = try XCTUnwrap(tier.get(primaryKey: "key-00")?.first)
        XCTAssertEqual(touched.meta.lastAccess, 50_000)
        XCTAssertLessThanOrEqual(tier.bytesUsed, one * 10)
    }

    func testMapFullEvictsRetriesAndNeverFails() throws {
        // A 1 MiB map cannot hold a 100 MiB "limit": MDB_MAP_FULL must turn into eviction.
        let (tier, _) = try self.open(limit: 100 << 20, mapSize: 1 << 20)
        defer { tier.close() }
        for round in 0..<20 {
            for index in 0..<20 {
                let key = "round-\(round)-\(index)"
                tier.put(makeEntry(key, bodySize: 12_000 + index * 100, seed: UInt8(truncatingIfNeeded: round * 20 + index)))
            }
            tier.flush()
        }
        XCTAssertGreaterThan(tier.mapFullRecoveries, 0)
        XCTAssertGreaterThan(tier.evictions, 0)
        XCTAssertEqual(tier.writeErrors, 0)
        XCTAssertEqual(tier.droppedWrites, 0)
        // The latest writes are readable and every readable entry is intact.
        XCTAssertNotNil(try tier.get(primaryKey: "round-19-19"))
        let keys = try tier.allPrimaryKeys()
        XCTAssertEqual(keys.count, tier.count)
        for key in keys {
            let parts = key.split(separator: "-").compactMap { Int($0) }
            let entry = try XCTUnwrap(tier.get(primaryKey: key)?.first)
            XCTAssertEqual(
                bodyBytes(entry),
                patternBytes(count: 12_000 + parts[1] * 100, seed: UInt8(truncatingIfNeeded: parts[0] * 20 + parts[1]))
            )
        }
        XCTAssertEqual(tier.checksumFailures, 0)
        // An object larger than the whole map is dropped, not thrown.
        tier.put(makeEntry("huge", bodySize: 2 << 20))
        tier.flush()
        XCTAssertEqual(tier.droppedWrites, 1)
        XCTAssertNil(try tier.get(primaryKey: "huge"))
        tier.put(makeEntry("after", bodySize: 1_000))
        tier.flush()
        XCTAssertNotNil(try tier.get(primaryKey: "after"))
    }

    func testFullQueueDropsNewPutsAndRemovesTheOlderCopy() throws {
        let (tier, _) = try self.open(maxQueueBytes: 100_000, batchDelayMilliseconds: 2_000)
        defer { tier.close() }
        tier.put(makeEntry("old", bodySize: 1_000, seed: 1))
        tier.flush()
        // Queued bodies are charged for their allocation (powers of two): 64 KiB each here.
        tier.put(makeEntry("filler", bodySize: 65_000))  // the writer now waits up to 2 s for more
        tier.put(makeEntry("old", bodySize: 40_000, seed: 2))  // does not fit in the queue: dropped
        XCTAssertEqual(tier.droppedWrites, 1)
        XCTAssertNil(try tier.get(primaryKey: "old"))  // never the stale copy
        tier.flush()
        XCTAssertNil(try tier.get(primaryKey: "old"))
        XCTAssertNotNil(try tier.get(primaryKey: "filler"))
    }

    func testConcurrentReadersDuringWritesSeeOnlyIntactEntries() throws {
        let (tier, _) = try self.open(limit: 2 << 20, batchDelayMilliseconds: 1)
        defer { tier.close() }
        let failures = ManagedCounter()
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            for round in 0..<300 {
                let index = (round * 7 + worker) % 40
                let key = "c-\(index)"
                if worker == 0 {
                    switch round % 5 {
                    case 4: tier.remove(primaryKey: key)
                    case 3: tier.touch(primaryKey: key, variantKey: "", now: Int64(round))
                    default: tier.put(makeEntry(key, bodySize: 2_000 + index * 500, seed: UInt8(index)))
                    }
                } else {
                    do {
                        for entry in try tier.get(primaryKey: key) ?? [] {
                            if bodyBytes(entry) != patternBytes(count: 2_000 + index * 500, seed: UInt8(index)) {
                                failures.increment()
                            }
                        }
                    } catch {
                        failures.increment()
                    }
                }
            }
        }
        tier.flush()
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(tier.checksumFailures, 0)
        XCTAssertLessThanOrEqual(tier.bytesUsed, 2 << 20)
        XCTAssertEqual(try tier.allPrimaryKeys().count, tier.count)
    }

    /// The bytes `entry` is charged on disk, measured with a scratch tier.
    private func sizeOnDisk(_ entry: CacheEntry) throws -> Int64 {
        let (scratch, directory) = try self.open(function: "scratch")
        defer {
            scratch.close()
            removeTemporaryDirectory(directory)
        }
        scratch.put(entry)
        scratch.flush()
        return scratch.bytesUsed
    }
}
