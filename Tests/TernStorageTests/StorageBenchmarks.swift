import Dispatch
import Foundation
import NIOCore
import XCTest

@testable import TernStorage

/// Micro-measurements behind the numbers in Docs/storage.md. Skipped unless `TERN_STORAGE_BENCH=1`;
/// run in release: `swift build -c release --build-tests -Xswiftc -enable-testing` then
/// `TERN_STORAGE_BENCH=1 swift test -c release --skip-build --filter StorageBenchmarks`.
final class StorageBenchmarks: XCTestCase {
    override func setUpWithError() throws {
        guard ProcessInfo.processInfo.environment["TERN_STORAGE_BENCH"] == "1" else {
            throw XCTSkip("set TERN_STORAGE_BENCH=1 to run the storage micro-benchmarks")
        }
    }

    private static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private static func report(_ line: String) {
        print("BENCH \(line)")
    }

    func testMemoryTierGetUnderContention() {
        let keys = (0..<10_000).map { "https://bench.example/object/\($0)" }
        let tier = MemoryTier(limit: 1 << 30, maxObjectSize: 1 << 20)
        for key in keys { tier.put(makeEntry(key, bodySize: 1_024)) }
        let iterations = 2_000_000
        @Sendable func run(_ tier: MemoryTier, offset: Int) {
            var index = offset
            for _ in 0..<iterations {
                _ = tier.get(primaryKey: keys[index], now: 1)
                index = (index &+ 7_919) % keys.count
            }
        }
        let one = Self.seconds { run(tier, offset: 0) }
        Self.report("memory get, 1 thread: \(String(format: "%.0f", one / Double(iterations) * 1e9)) ns/get")
        let two = Self.seconds {
            DispatchQueue.concurrentPerform(iterations: 2) { run(tier, offset: $0 * 13) }
        }
        Self.report("memory get, 2 threads one lock: \(String(format: "%.0f", two / Double(iterations) * 1e9)) ns/get per thread (wall), \(String(format: "%.2f", Double(2 * iterations) / two / 1e6)) M gets/s total")
        let shards = [tier, MemoryTier(limit: 1 << 30, maxObjectSize: 1 << 20)]
        for key in keys { shards[1].put(makeEntry(key, bodySize: 1_024)) }
        let sharded = Self.seconds {
            DispatchQueue.concurrentPerform(iterations: 2) { run(shards[$0], offset: $0 * 13) }
        }
        Self.report("memory get, 2 threads 2 shards: \(String(format: "%.0f", sharded / Double(iterations) * 1e9)) ns/get per thread (wall), \(String(format: "%.2f", Double(2 * iterations) / sharded / 1e6)) M gets/s total")
    }

    func testMemoryTierPutCost() {
        for size in [1 << 10, 128 << 10, 1 << 20] {
            let count = size >= 1 << 20 ? 2_000 : 20_000
            let entries = (0..<count).map { makeEntry("https://bench.example/put/\($0)", bodySize: size) }
            let tier = MemoryTier(limit: Int64(size + 4_096) * 500, maxObjectSize: 2 << 20)
            let elapsed = Self.seconds { for entry in entries { tier.put(entry) } }
            Self.report("memory put \(size / 1_024) KiB (with eviction): \(String(format: "%.2f", elapsed / Double(count) * 1e6)) µs/put")
        }
    }

    func testChecksumThroughput() {
        let bytes = patternBytes(count: 1 << 20, seed: 1)
        var sink: UInt64 = 0
        let rounds = 500
        let elapsed = Self.seconds { for _ in 0..<rounds { sink &+= bytes.withUnsafeBytes { XXHash64.hash($0) } } }
        Self.report("xxHash64: \(String(format: "%.2f", Double(rounds) / elapsed / 1_024)) GiB/s (\(sink & 1))")
    }

    func testDiskTierPutAndGetCosts() throws {
        for size in [1 << 10, 128 << 10, 1 << 20] {
            let directory = makeTemporaryDirectory("bench\(size)")
            defer { removeTemporaryDirectory(directory) }
            let tier = try DiskTier(configuration: .init(directory: directory, limit: 4 << 30, maxQueueBytes: 1 << 30))
            let count = size >= 1 << 20 ? 300 : (size >= 128 << 10 ? 1_000 : 10_000)
            let entries = (0..<count).map { makeEntry("https://bench.example/disk/\($0)", bodySize: size, seed: UInt8(truncatingIfNeeded: $0)) }
            let enqueue = Self.seconds { for entry in entries { tier.put(entry) } }
            let total = enqueue + Self.seconds { tier.flush() }
            Self.report("disk put \(size / 1_024) KiB: enqueue \(String(format: "%.2f", enqueue / Double(count) * 1e6)) µs/put, enqueue+commit \(String(format: "%.1f", total / Double(count) * 1e6)) µs/put (\(String(format: "%.0f", Double(count * size) / total / 1_048_576)) MiB/s)")
            var sink = 0
            let rounds = max(count, 3_000)
            let read = try Self.seconds {
                for index in 0..<rounds {
                    sink &+= try tier.get(primaryKey: entries[index % count].meta.primaryKey)?.count ?? 0
                }
            }
            XCTAssertEqual(sink, rounds)
            Self.report("disk get \(size / 1_024) KiB (read txn + decode + checksum + copy): \(String(format: "%.2f", read / Double(rounds) * 1e6)) µs/get")
            tier.close()
        }
    }

    func testCommitLatencyPerDurability() throws {
        for durability in [DiskTier.Durability.full, .noMetaSync, .noSync] {
            let directory = makeTemporaryDirectory("durability")
            defer { removeTemporaryDirectory(directory) }
            let tier = try DiskTier(configuration: .init(directory: directory, limit: 1 << 30, durability: durability, batchDelayMilliseconds: 0))
            let rounds = 200
            let elapsed = Self.seconds {
                for index in 0..<rounds {
                    tier.put(makeEntry("https://bench.example/sync/\(index)", bodySize: 4_096))
                    tier.flush()
                }
            }
            Self.report("commit latency (put 4 KiB + flush) \(durability): \(String(format: "%.0f", elapsed / Double(rounds) * 1e6)) µs")
            tier.close()
        }
    }
}
