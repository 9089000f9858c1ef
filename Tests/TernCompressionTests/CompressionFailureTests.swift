import NIOCore
import TernCompression
import TernPolicy
import XCTest

/// Bombs, truncation, corruption and misuse: every failure is a named `CompressionError`.
final class CompressionFailureTests: XCTestCase {
    private let allocator = CompressionTestData.allocator

    private func assertError(
        _ expected: CompressionError,
        file: StaticString = #filePath,
        line: UInt = #line,
        _ body: () throws -> Void
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? CompressionError, expected, file: file, line: line)
        }
    }

    func testDecompressionBombIsStoppedAtTheLimit() throws {
        let zeros = CompressionTestData.buffer([UInt8](repeating: 0, count: 64 << 20))  // 64 MiB
        for coding in [ContentCoding.gzip, .br] {
            let bomb = try Compression.compress(zeros, coding: coding, level: coding == .br ? 5 : 6, allocator: self.allocator)
            XCTAssertLessThan(bomb.readableBytes, 128 * 1024, "\(coding) bomb is small")
            self.assertError(.outputLimitExceeded(limit: 1 << 20)) {
                _ = try Compression.decompress(bomb, coding: coding, maxOutput: 1 << 20, allocator: self.allocator)
            }
            // Streaming: the limit spans all chunks.
            let decoder = try StreamingDecoder(coding: coding, maxOutput: 100_000)
            self.assertError(.outputLimitExceeded(limit: 100_000)) {
                for chunk in CompressionTestData.chunks(bomb.bytes, maxChunk: 64) {
                    _ = try decoder.decode(chunk, allocator: self.allocator)
                }
            }
            XCTAssertLessThanOrEqual(decoder.producedBytes, 100_001)
        }
        self.assertError(.outputLimitExceeded(limit: 2)) {
            _ = try Compression.decompress(CompressionTestData.buffer([1, 2, 3]), coding: .identity, maxOutput: 2, allocator: self.allocator)
        }
    }

    func testExactLimitIsAllowed() throws {
        let input = CompressionTestData.text(50_000)
        for coding in ContentCoding.allCases {
            let encoded = try Compression.compress(CompressionTestData.buffer(input), coding: coding, allocator: self.allocator)
            XCTAssertEqual(try Compression.decompress(encoded, coding: coding, maxOutput: 50_000, allocator: self.allocator).bytes, input)
            XCTAssertEqual(try Compression.decompress(encoded, coding: coding, maxOutput: .max, allocator: self.allocator).bytes, input)
            self.assertError(.outputLimitExceeded(limit: 49_999)) {
                _ = try Compression.decompress(encoded, coding: coding, maxOutput: 49_999, allocator: self.allocator)
            }
        }
    }

    func testTruncatedStreamIsAnError() throws {
        let input = CompressionTestData.text(100_000)
        for coding in [ContentCoding.gzip, .br] {
            let encoded = try Compression.compress(CompressionTestData.buffer(input), coding: coding, allocator: self.allocator).bytes
            for cut in [1, 4, 8, encoded.count / 2, encoded.count - 1] {
                let truncated = CompressionTestData.buffer(Array(encoded.prefix(encoded.count - cut)))
                self.assertError(.truncatedInput(coding)) {
                    _ = try Compression.decompress(truncated, coding: coding, maxOutput: 1 << 20, allocator: self.allocator)
                }
            }
            // Streaming: chunks decode, finish() reports the missing end.
            let decoder = try StreamingDecoder(coding: coding, maxOutput: 1 << 20)
            _ = try decoder.decode(CompressionTestData.buffer(Array(encoded.prefix(encoded.count / 2))), allocator: self.allocator)
            self.assertError(.truncatedInput(coding)) { try decoder.finish() }
        }
    }

    func testEmptyBodyDecodesToNothing() throws {
        for coding in ContentCoding.allCases {
            let decoded = try Compression.decompress(ByteBuffer(), coding: coding, maxOutput: 0, allocator: self.allocator)
            XCTAssertEqual(decoded.readableBytes, 0)
        }
    }

    func testCorruptInputIsAnError() throws {
        let garbage = CompressionTestData.buffer(CompressionTestData.random(4096, seed: 11))
        for coding in [ContentCoding.gzip, .br] {
            XCTAssertThrowsError(try Compression.decompress(garbage, coding: coding, maxOutput: 1 << 20, allocator: self.allocator)) { error in
                guard case .corruptInput(let failed, let detail)? = error as? CompressionError else {
                    return XCTFail("\(coding): \(error)")
                }
                XCTAssertEqual(failed, coding)
                XCTAssertFalse(detail.isEmpty)
                XCTAssertEqual((error as? CompressionError)?.reason, "corrupt-input")
            }
        }
        // A zlib (not gzip) stream is not gzip.
        let zlibHeader = CompressionTestData.buffer([0x78, 0x9C, 0x4B, 0x04, 0x00, 0x00, 0x62, 0x00, 0x62])
        XCTAssertThrowsError(try Compression.decompress(zlibHeader, coding: .gzip, maxOutput: 100, allocator: self.allocator))
    }

    func testBytesAfterTheEnd() throws {
        let input = CompressionTestData.text(1000)
        var br = try Compression.compress(CompressionTestData.buffer(input), coding: .br, allocator: self.allocator)
        br.writeBytes([1, 2, 3])
        self.assertError(.trailingData(.br)) {
            _ = try Compression.decompress(br, coding: .br, maxOutput: 1 << 20, allocator: self.allocator)
        }
        var gzip = try Compression.compress(CompressionTestData.buffer(input), coding: .gzip, allocator: self.allocator)
        gzip.writeBytes([1, 2, 3])  // not a gzip member
        XCTAssertThrowsError(try Compression.decompress(gzip, coding: .gzip, maxOutput: 1 << 20, allocator: self.allocator))
    }

    func testLevelsOutOfRange() {
        let input = CompressionTestData.buffer([1])
        self.assertError(.unsupportedLevel(.br, 12)) {
            _ = try Compression.compress(input, coding: .br, level: 12, allocator: self.allocator)
        }
        self.assertError(.unsupportedLevel(.gzip, 10)) {
            _ = try Compression.compress(input, coding: .gzip, level: 10, allocator: self.allocator)
        }
        self.assertError(.unsupportedLevel(.gzip, -1)) { _ = try StreamingEncoder(coding: .gzip, level: -1) }
    }

    func testUseAfterFinish() throws {
        for coding in ContentCoding.allCases {
            let encoder = try StreamingEncoder(coding: coding)
            _ = try encoder.finish(allocator: self.allocator)
            self.assertError(.alreadyFinished) { _ = try encoder.encode(CompressionTestData.buffer([1]), allocator: self.allocator) }
            self.assertError(.alreadyFinished) { _ = try encoder.finish(allocator: self.allocator) }
            let decoder = try StreamingDecoder(coding: coding, maxOutput: 10)
            try decoder.finish()
            self.assertError(.alreadyFinished) { _ = try decoder.decode(CompressionTestData.buffer([1]), allocator: self.allocator) }
        }
    }
}
