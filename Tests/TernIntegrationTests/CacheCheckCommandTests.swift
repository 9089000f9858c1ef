import Foundation
import NIOCore
import NIOHTTP1
import TernStorage
import XCTest

/// `tern cache check DIR` as an operator runs it: exit 0 on an intact store, 1 after bit rot in a
/// body (found by its bytes in data.mdb), 2 for a directory that is not a store.
final class CacheCheckCommandTests: XCTestCase {
    private var ternBinary: URL { repositoryRoot.appendingPathComponent(".build/debug/tern") }

    private func requireBinary() throws {
        if FileManager.default.isExecutableFile(atPath: self.ternBinary.path) { return }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            XCTFail("the tern binary is missing at \(self.ternBinary.path): build it before the tests in CI")
            throw XCTSkip("binary missing")
        }
        throw XCTSkip("build the tern product first")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = self.ternBinary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testCacheCheckExitCodes() throws {
        try self.requireBinary()
        let directory = NSTemporaryDirectory() + "tern-cache-check-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let marker = Array("TERN-BITROT-MARKER".utf8)
        let tier = try DiskTier(configuration: .init(directory: directory, limit: 32 << 20, mapSize: 64 << 20))
        for index in 0..<5 {
            var body = ByteBuffer()
            body.writeBytes(index == 2 ? marker + Array(repeating: UInt8(ascii: "m"), count: 20_000) : Array(repeating: UInt8(index), count: 20_000))
            let meta = CacheEntryMeta(
                primaryKey: "http://example.test/o/\(index)", variantKey: "", status: 200, headers: HTTPHeaders([("content-type", "text/plain")]),
                requestTime: 1_000, responseTime: 1_001, bodyLength: Int64(body.readableBytes), tags: []
            )
            tier.put(CacheEntry(meta: meta, body: body))
        }
        tier.flush()
        tier.close()

        let clean = try self.run(["cache", "check", directory])
        XCTAssertEqual(clean.status, 0, clean.output)
        XCTAssertTrue(clean.output.contains("intact: 5"), clean.output)

        // Bit rot inside one body.
        let path = directory + "/data.mdb"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let offset = try XCTUnwrap(Self.firstIndex(of: marker, in: bytes), "the body's bytes are in data.mdb")
        bytes[offset + 5] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let rotten = try self.run(["cache", "check", directory])
        XCTAssertEqual(rotten.status, 1, rotten.output)
        XCTAssertTrue(rotten.output.contains("http://example.test/o/2"), rotten.output)
        XCTAssertTrue(rotten.output.contains("intact: 4"), rotten.output)

        let notAStore = try self.run(["cache", "check", directory + "/missing"])
        XCTAssertEqual(notAStore.status, 2, notAStore.output)
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
