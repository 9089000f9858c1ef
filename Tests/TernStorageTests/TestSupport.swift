import Foundation
import NIOCore
import NIOHTTP1
import XCTest

@testable import TernStorage

/// Builds an entry whose body is `bodySize` bytes derived from `seed` (so content can be re-derived and checked).
func makeEntry(
    _ primaryKey: String,
    variantKey: String = "",
    bodySize: Int = 16,
    seed: UInt8 = 0,
    headers: [(String, String)] = [("content-type", "text/plain")],
    tags: [String] = [],
    now: Int64 = 1_000
) -> CacheEntry {
    var body = ByteBufferAllocator().buffer(capacity: bodySize)
    body.writeBytes(patternBytes(count: bodySize, seed: seed))
    let meta = CacheEntryMeta(
        primaryKey: primaryKey,
        variantKey: variantKey,
        status: 200,
        headers: HTTPHeaders(headers),
        requestTime: now - 5,
        responseTime: now,
        bodyLength: Int64(bodySize),
        tags: tags
    )
    return CacheEntry(meta: meta, body: body)
}

func patternBytes(count: Int, seed: UInt8) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var state = UInt32(seed) &* 2_654_435_761 &+ 1
    for index in 0..<count {
        state = state &* 1_103_515_245 &+ 12345
        bytes[index] = UInt8(truncatingIfNeeded: state >> 16)
    }
    return bytes
}

/// A fresh directory under the system temp dir, removed by `removeTemporaryDirectory`.
func makeTemporaryDirectory(_ name: String = #function) -> String {
    let clean = name.filter { $0.isLetter || $0.isNumber }
    let path = NSTemporaryDirectory() + "tern-storage-\(clean)-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTemporaryDirectory(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

/// Polls `condition` every 5 ms until it holds or `timeout` passes (no fixed sleeps).
func waitUntil(timeout: TimeInterval = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(5_000)
    }
    return condition()
}

func bodyBytes(_ entry: CacheEntry) -> [UInt8] {
    Array(entry.body.readableBytesView)
}
