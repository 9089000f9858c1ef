import Foundation
import NIOCore
import NIOPosix
import XCTest

@testable import TernStorage

final class TieredCacheTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var pool: NIOThreadPool!
    private var directory: String!

    override func setUp() {
        super.setUp()
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.pool = NIOThreadPool(numberOfThreads: 1)
        self.pool.start()
        self.directory = makeTemporaryDirectory(self.name)
    }

    override func tearDown() {
        try? self.pool.syncShutdownGracefully()
        try? self.group.syncShutdownGracefully()
        removeTemporaryDirectory(self.directory)
        super.tearDown()
    }

    private func makeCache(_ admission: TieredCache.Admission) throws -> TieredCache {
        let disk = try DiskTier(configuration: .init(directory: self.directory, limit: 64 << 20))
        return TieredCache(
            memory: MemoryTier(limit: 1 << 20, maxObjectSize: 256 << 10),
            disk: disk,
            threadPool: self.pool,
            admission: admission
        )
    }

    func testDiskHitIsPromotedToMemory() throws {
        let cache = try self.makeCache(.both)
        defer { cache.close() }
        cache.store(makeEntry("k", bodySize: 1_000, seed: 4))
        XCTAssertNotNil(cache.lookupMemory(primaryKey: "k", now: 2_000))
        cache.flush()
        cache.memory.remove(primaryKey: "k")  // as if evicted from memory
        XCTAssertNil(cache.lookupMemory(primaryKey: "k", now: 2_000))

        let loop = self.group.next()
        let entries = try cache.lookup(primaryKey: "k", now: 3_000, eventLoop: loop).wait()
        XCTAssertEqual(entries?.map(bodyBytes), [patternBytes(count: 1_000, seed: 4)])
        XCTAssertEqual(entries?.first?.meta.lastAccess, 3_000)
        let promoted = cache.lookupMemory(primaryKey: "k", now: 4_000)
        XCTAssertEqual(promoted?.map(bodyBytes), [patternBytes(count: 1_000, seed: 4)])
        // The disk hit also refreshed the disk access stamp.
        cache.flush()
        XCTAssertEqual(try cache.disk?.get(primaryKey: "k")?.first?.meta.lastAccess, 3_000)
    }

    func testLookupCompletesOnTheGivenEventLoopAndMissesCleanly() throws {
        let cache = try self.makeCache(.both)
        defer { cache.close() }
        let loop = self.group.next()
        let future = cache.lookup(primaryKey: "absent", now: 1, eventLoop: loop).map { entries -> Bool in
            loop.preconditionInEventLoop()
            return entries == nil
        }
        XCTAssertTrue(try future.wait())
    }

    func testDiskFirstAdmissionEntersMemoryOnlyOnADiskHit() throws {
        let cache = try self.makeCache(.diskFirst)
        defer { cache.close() }
        cache.store(makeEntry("k"))
        XCTAssertNil(cache.lookupMemory(primaryKey: "k", now: 1))
        XCTAssertEqual(cache.memory.count, 0)
        // Not even flushed yet: the disk tier answers from its queue.
        let entries = try cache.lookup(primaryKey: "k", now: 2, eventLoop: self.group.next()).wait()
        XCTAssertEqual(entries?.count, 1)
        XCTAssertNotNil(cache.lookupMemory(primaryKey: "k", now: 3))
        // A newer store replaces the copy memory already holds.
        cache.store(makeEntry("k", seed: 8))
        XCTAssertEqual(cache.lookupMemory(primaryKey: "k", now: 4)?.map(bodyBytes), [patternBytes(count: 16, seed: 8)])
    }

    func testRemoveAndUpdateMetaReachBothTiers() throws {
        let cache = try self.makeCache(.both)
        defer { cache.close() }
        cache.store(makeEntry("k"))
        cache.store(makeEntry("k", variantKey: "gzip"))
        var meta = makeEntry("k").meta
        meta.headers.replaceOrAdd(name: "etag", value: "\"2\"")
        cache.updateMeta(meta)
        cache.flush()
        XCTAssertEqual(cache.lookupMemory(primaryKey: "k", now: 1)?.first { $0.meta.variantKey == "" }?.meta.headers["etag"], ["\"2\""])
        XCTAssertEqual(try cache.disk?.get(primaryKey: "k")?.first { $0.meta.variantKey == "" }?.meta.headers["etag"], ["\"2\""])

        cache.removeVariant(primaryKey: "k", variantKey: "gzip")
        XCTAssertEqual(try cache.lookup(primaryKey: "k", now: 2, eventLoop: self.group.next()).wait()?.count, 1)
        cache.remove(primaryKey: "k")
        XCTAssertNil(cache.lookupMemory(primaryKey: "k", now: 3))
        XCTAssertNil(try cache.lookup(primaryKey: "k", now: 3, eventLoop: self.group.next()).wait())
        cache.flush()
        XCTAssertEqual(cache.disk?.count, 0)
    }

    func testMemoryOnlyCache() throws {
        let cache = TieredCache(memory: MemoryTier(limit: 1 << 20, maxObjectSize: 1 << 20), disk: nil, threadPool: self.pool)
        cache.store(makeEntry("k"))
        XCTAssertEqual(try cache.lookup(primaryKey: "k", now: 1, eventLoop: self.group.next()).wait()?.count, 1)
        XCTAssertNil(try cache.lookup(primaryKey: "x", now: 1, eventLoop: self.group.next()).wait())
        cache.close()
    }

    func testReopenedDiskServesAfterRestart() throws {
        let first = try self.makeCache(.both)
        first.store(makeEntry("persisted", bodySize: 3_000, seed: 2))
        first.close()
        let second = try self.makeCache(.both)
        defer { second.close() }
        XCTAssertNil(second.lookupMemory(primaryKey: "persisted", now: 1))
        let entries = try second.lookup(primaryKey: "persisted", now: 2, eventLoop: self.group.next()).wait()
        XCTAssertEqual(entries?.map(bodyBytes), [patternBytes(count: 3_000, seed: 2)])
    }
}
