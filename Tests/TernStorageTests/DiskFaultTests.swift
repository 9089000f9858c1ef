import Foundation
import NIOConcurrencyHelpers
import XCTest

@testable import TernStorage

#if canImport(Glibc)
import Glibc
#endif

/// Disk faults reported and survived (issue 13): failed writes (through the fault-injection seam)
/// make the tier read-only until a probe succeeds; truncated and damaged stores are moved aside or
/// refused.
final class DiskFaultTests: XCTestCase {
    private var directories: [String] = []

    override func tearDown() {
        for directory in self.directories { removeTemporaryDirectory(directory) }
        self.directories = []
        super.tearDown()
    }

    private func directory(_ name: String = #function) -> String {
        let path = makeTemporaryDirectory(name)
        self.directories.append(path)
        return path
    }

    final class Events: Sendable {
        private let box = NIOLockedValueBox<[DiskFaultEvent]>([])
        func append(_ event: DiskFaultEvent) { self.box.withLockedValue { $0.append(event) } }
        var all: [DiskFaultEvent] { self.box.withLockedValue { $0 } }
        var names: [String] { self.all.map(\.name) }
    }

    private func configuration(
        _ directory: String, injector: DiskFaultInjector? = nil, events: Events? = nil, onDamage: DiskTier.DamagePolicy = .reset,
        mapSize: Int64 = 64 << 20
    ) -> DiskTier.Configuration {
        var configuration = DiskTier.Configuration(directory: directory, limit: 32 << 20, mapSize: mapSize)
        configuration.faultInjector = injector
        configuration.probeIntervalMilliseconds = 20
        configuration.onDamage = onDamage
        if let events { configuration.faultHandler = { events.append($0) } }
        return configuration
    }

    // MARK: Write failures

    func testClassification() {
        let cases: [(Int32, DiskWriteFailure, Bool)] = [
            (ENOSPC, .noSpace, true), (EDQUOT, .noSpace, true), (EIO, .io, true), (EROFS, .readOnlyFilesystem, true),
            (EACCES, .readOnlyFilesystem, true), (LMDB.mapFull, .mapFull, false), (LMDB.corrupted, .other, true),
        ]
        for (code, kind, readOnly) in cases {
            XCTAssertEqual(DiskWriteFailure.classify(code), kind, "\(code)")
            XCTAssertEqual(kind.makesReadOnly, readOnly, "\(code)")
        }
    }

    func testDiskFullMakesTheTierReadOnlyUntilSpaceReturns() throws {
        let injector = DiskFaultInjector()
        let events = Events()
        let tier = try DiskTier(configuration: self.configuration(self.directory(), injector: injector, events: events))
        defer { tier.close() }
        tier.put(makeEntry("http://t/before", bodySize: 1000, seed: 1))
        tier.flush()
        XCTAssertFalse(tier.isReadOnly)

        // The disk fills up: the batch fails, its put is lost, the tier goes read-only.
        injector.commitError = ENOSPC
        injector.freeBytes = 0
        tier.put(makeEntry("http://t/lost", bodySize: 1000, seed: 2))
        XCTAssertTrue(waitUntil(timeout: 5) { tier.isReadOnly })
        XCTAssertEqual(tier.writeFailures[.noSpace], 1)
        XCTAssertEqual(events.names.prefix(2), ["write_failed", "read_only"])
        XCTAssertEqual(events.all.first, .writeFailed(.noSpace, code: ENOSPC, message: String(cString: strerror(ENOSPC)), droppedPuts: 1))
        XCTAssertNil(try tier.get(primaryKey: "http://t/lost"), "a put the disk refused is not served from the queue")

        // While read-only: puts are refused at once (no per-request failures), reads still work,
        // a purge is kept (and honoured) until it can be written.
        let droppedBefore = tier.droppedWrites
        for index in 0..<20 { tier.put(makeEntry("http://t/ro\(index)", bodySize: 100)) }
        XCTAssertEqual(tier.droppedWrites, droppedBefore + 20)
        XCTAssertEqual(tier.writeFailures[.noSpace], 1, "refused puts are not attempted, so they do not fail one by one")
        XCTAssertEqual(try tier.get(primaryKey: "http://t/before")?.first.map(bodyBytes), patternBytes(count: 1000, seed: 1))
        tier.remove(primaryKey: "http://t/before")
        XCTAssertNil(try tier.get(primaryKey: "http://t/before"), "the queued removal is visible at once")
        tier.flush()  // returns while read-only instead of blocking

        // Space returns (the commit error stays until the probe sees enough free space).
        injector.freeBytes = 1 << 40
        injector.commitError = nil
        XCTAssertTrue(waitUntil(timeout: 5) { !tier.isReadOnly })
        XCTAssertEqual(events.names.last, "writable")
        tier.flush()  // everything queued before (dropped or committed by the probe) is settled: returns
        tier.put(makeEntry("http://t/after", bodySize: 500, seed: 3))
        tier.flush()
        XCTAssertEqual(try tier.get(primaryKey: "http://t/after")?.first.map(bodyBytes), patternBytes(count: 500, seed: 3))
        XCTAssertNil(try tier.get(primaryKey: "http://t/before"), "the removal queued while read-only was committed, not lost")
        XCTAssertEqual(tier.count, 1)
    }

    func testIOErrorCountsAndProbeKeepsFailingWhileTheErrorLasts() throws {
        let injector = DiskFaultInjector()
        let tier = try DiskTier(configuration: self.configuration(self.directory(), injector: injector))
        defer { tier.close() }
        injector.commitError = EIO
        injector.freeBytes = 1 << 40
        tier.put(makeEntry("http://t/a"))
        XCTAssertTrue(waitUntil(timeout: 5) { tier.isReadOnly })
        // Probes run every 20 ms and fail with the same error: counted, still read-only.
        XCTAssertTrue(waitUntil(timeout: 5) { (tier.writeFailures[.io] ?? 0) >= 3 })
        XCTAssertTrue(tier.isReadOnly)
        injector.commitError = nil
        XCTAssertTrue(waitUntil(timeout: 5) { !tier.isReadOnly })
    }

    func testCloseWhileReadOnlyDoesNotHang() throws {
        let injector = DiskFaultInjector()
        let tier = try DiskTier(configuration: self.configuration(self.directory(), injector: injector))
        injector.commitError = ENOSPC
        injector.freeBytes = 0
        tier.put(makeEntry("http://t/a"))
        XCTAssertTrue(waitUntil(timeout: 5) { tier.isReadOnly })
        tier.remove(primaryKey: "http://t/b")
        tier.close()  // gives up what cannot be written
        XCTAssertThrowsError(try tier.get(primaryKey: "http://t/a"))
    }

    func testLogRateLimiter() {
        var limiter = LogRateLimiter(intervalNanoseconds: 1_000)
        let steps: [(key: String, now: UInt64, report: Bool, suppressed: Int)] = [
            ("a", 0, true, 0), ("a", 10, false, 0), ("a", 999, false, 0), ("b", 500, true, 0),
            ("a", 1_000, true, 2), ("a", 1_500, false, 0), ("a", 5_000, true, 1),
        ]
        for step in steps {
            let result = limiter.shouldReport(step.key, now: step.now)
            XCTAssertEqual(result.report, step.report, "\(step)")
            XCTAssertEqual(result.suppressed, step.suppressed, "\(step)")
        }
    }

    // MARK: Damaged stores

    /// A store with `count` entries of 64 KiB, closed.
    private func populated(_ directory: String, count: Int = 64) throws {
        let tier = try DiskTier(configuration: self.configuration(directory))
        for index in 0..<count { tier.put(makeEntry("http://t/\(index)", bodySize: 64 << 10, seed: UInt8(index % 200))) }
        tier.flush()
        XCTAssertEqual(tier.count, count)
        tier.close()
    }

    private func damagedFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasPrefix("data.mdb.damaged-") }
    }

    private func truncate(_ path: String, toFraction fraction: Double) throws -> Int64 {
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber).int64Value
        XCTAssertEqual(Glibc.truncate(path, off_t(Double(size) * fraction)), 0)
        return size
    }

    func testTruncatedStoreIsMovedAsideAndReplacedByAnEmptyOne() throws {
        let directory = self.directory()
        try self.populated(directory)
        let original = try self.truncate(directory + "/data.mdb", toFraction: 0.5)
        let tier = try DiskTier(configuration: self.configuration(directory, onDamage: .reset))
        defer { tier.close() }
        guard case .resetAfterDamage(let reason, let movedTo) = tier.openReport else {
            return XCTFail("expected a reset, got \(tier.openReport)")
        }
        XCTAssertTrue(reason.contains("truncated"), reason)
        XCTAssertEqual(self.damagedFiles(directory).count, 1)
        XCTAssertTrue(movedTo.hasPrefix(directory + "/data.mdb.damaged-"))
        let kept = (try FileManager.default.attributesOfItem(atPath: movedTo)[.size] as! NSNumber).int64Value
        XCTAssertEqual(kept, original / 2, "the damaged file is kept as it was")
        XCTAssertEqual(tier.count, 0)
        // The new store works.
        tier.put(makeEntry("http://t/new", bodySize: 100, seed: 9))
        tier.flush()
        XCTAssertEqual(try tier.get(primaryKey: "http://t/new")?.first.map(bodyBytes), patternBytes(count: 100, seed: 9))
    }

    func testTruncatedStoreIsRefusedWithOnDamageFail() throws {
        let directory = self.directory()
        try self.populated(directory)
        _ = try self.truncate(directory + "/data.mdb", toFraction: 0.5)
        XCTAssertThrowsError(try DiskTier(configuration: self.configuration(directory, onDamage: .fail))) { error in
            guard case DiskTierError.damaged(let path, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, directory)
            XCTAssertTrue(reason.contains("truncated"), reason)
            XCTAssertTrue("\(error)".contains("on_damage"), "\(error)")
        }
        XCTAssertEqual(self.damagedFiles(directory), [], "fail leaves the files alone")
        // Refused again on the next start: the operator decides.
        XCTAssertThrowsError(try DiskTier(configuration: self.configuration(directory, onDamage: .fail)))
    }

    func testDamagedMetaPagesAreMovedAside() throws {
        let directory = self.directory()
        try self.populated(directory, count: 4)
        // Overwrite both meta pages (the first two 4 KiB pages) with garbage.
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: directory + "/data.mdb"))
        handle.seek(toFileOffset: 0)
        handle.write(Data(repeating: 0xA5, count: 8192))
        handle.closeFile()
        XCTAssertThrowsError(try DiskTier(configuration: self.configuration(directory, onDamage: .fail))) { error in
            guard case DiskTierError.damaged(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("meta pages"), reason)
        }
        let tier = try DiskTier(configuration: self.configuration(directory, onDamage: .reset))
        defer { tier.close() }
        guard case .resetAfterDamage(let reason, _) = tier.openReport else { return XCTFail("\(tier.openReport)") }
        XCTAssertTrue(reason.contains("meta pages"), reason)
        XCTAssertEqual(self.damagedFiles(directory).count, 1)
        XCTAssertEqual(tier.count, 0)
    }

    func testIntactStoreOpensAsItWas() throws {
        let directory = self.directory()
        try self.populated(directory, count: 8)
        let tier = try DiskTier(configuration: self.configuration(directory))
        defer { tier.close() }
        XCTAssertEqual(tier.openReport, .opened)
        XCTAssertEqual(tier.count, 8)
        XCTAssertEqual(self.damagedFiles(directory), [])
    }
}

/// `DiskTier.check` (behind `tern cache check DIR`): every body verified offline.
final class DiskCheckTests: XCTestCase {
    private var directories: [String] = []

    override func tearDown() {
        for directory in self.directories { removeTemporaryDirectory(directory) }
        super.tearDown()
    }

    private func store(count: Int) throws -> String {
        let directory = makeTemporaryDirectory()
        self.directories.append(directory)
        let tier = try DiskTier(configuration: .init(directory: directory, limit: 32 << 20, mapSize: 64 << 20))
        for index in 0..<count { tier.put(makeEntry("http://t/\(index)", bodySize: 1000 + index, seed: UInt8(index))) }
        tier.put(makeEntry("http://t/0", variantKey: "gzip", bodySize: 50, seed: 99))
        tier.flush()
        tier.close()
        return directory
    }

    func testIntactStoreChecksClean() throws {
        let directory = try self.store(count: 10)
        let report = try DiskTier.check(directory: directory)
        XCTAssertEqual(report.records, 11)
        XCTAssertEqual(report.intact, 11)
        XCTAssertEqual(report.intactBytes, Int64((0..<10).map { 1000 + $0 }.reduce(0, +) + 50))
        XCTAssertTrue(report.isClean, report.summary)
        XCTAssertTrue(report.summary.hasSuffix("result: OK"), report.summary)
    }

    func testCorruptBodyIsReportedByKey() throws {
        let directory = try self.store(count: 5)
        // Flip one byte of one stored body.
        let tier = try DiskTier(configuration: .init(directory: directory, limit: 32 << 20, mapSize: 64 << 20))
        try tier.withRawWriteTransaction { txn, store in
            let key = Digest.variant(primaryKey: "http://t/3", variantKey: "").bytes
            let original = try XCTUnwrap(txn.get(store.body, key).map { Array($0) })
            var changed = original
            changed[10] ^= 0xFF
            try txn.put(store.body, key, changed)
        }
        tier.close()
        let report = try DiskTier.check(directory: directory)
        XCTAssertEqual(report.records, 6)
        XCTAssertEqual(report.intact, 5)
        XCTAssertEqual(report.corrupt.map(\.primaryKey), ["http://t/3"])
        XCTAssertFalse(report.isClean)
        XCTAssertTrue(report.summary.contains("http://t/3"), report.summary)
    }

    func testCheckRefusesAStoreInUseAndReportsDamage() throws {
        let directory = try self.store(count: 3)
        let tier = try DiskTier(configuration: .init(directory: directory, limit: 32 << 20, mapSize: 64 << 20))
        XCTAssertThrowsError(try DiskTier.check(directory: directory)) { XCTAssertEqual($0 as? DiskTierError, .alreadyInUse(path: directory)) }
        tier.close()
        let handle = try XCTUnwrap(FileHandle(forUpdatingAtPath: directory + "/data.mdb"))
        handle.write(Data(repeating: 0x5A, count: 8192))
        handle.closeFile()
        XCTAssertThrowsError(try DiskTier.check(directory: directory)) { error in
            guard case DiskTierError.damaged = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try DiskTier.check(directory: directory + "/nope"))
    }
}
