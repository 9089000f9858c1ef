import NIOCore
@testable import TernCompression
import TernPolicy
import XCTest

/// Encode → decode round trips, one-shot and streaming, compared byte for byte.
final class CompressionRoundTripTests: XCTestCase {
    private let allocator = CompressionTestData.allocator
    private static let mebibyte = 1 << 20

    private var inputs: [(String, [UInt8])] {
        [
            ("empty", []),
            ("1 byte", [0x41]),
            ("1 MiB random", CompressionTestData.random(Self.mebibyte)),
            ("1 MiB text", CompressionTestData.text(Self.mebibyte)),
        ]
    }

    func testOneShotRoundTrips() throws {
        for coding in ContentCoding.allCases {
            for (name, input) in self.inputs {
                let encoded = try Compression.compress(CompressionTestData.buffer(input), coding: coding, allocator: self.allocator)
                let decoded = try Compression.decompress(encoded, coding: coding, maxOutput: input.count, allocator: self.allocator)
                XCTAssertEqual(decoded.bytes, input, "\(coding) \(name)")
                if coding != .identity && !input.isEmpty {
                    XCTAssertNotEqual(encoded.bytes, input, "\(coding) \(name) must be encoded")
                }
            }
        }
    }

    /// The one-shot gzip encoder sizes its window and hash table to the input (issue 18): every size across
    /// the window boundaries still round-trips, and text still shrinks.
    func testSizeFittedWindowsRoundTripAtTheBoundaries() throws {
        let text = CompressionTestData.text(70_000)
        for size in [1, 249, 250, 251, 761, 762, 763, 1_024, 1_500, 16_122, 16_123, 32_505, 32_506, 32_507, 65_536, 70_000] {
            let input = Array(text.prefix(size))
            for coding in [ContentCoding.gzip, .br] {
                let encoded = try Compression.compress(CompressionTestData.buffer(input), coding: coding, allocator: self.allocator)
                let decoded = try Compression.decompress(encoded, coding: coding, maxOutput: input.count, allocator: self.allocator)
                XCTAssertEqual(decoded.bytes, input, "\(coding) \(size)")
                if size >= 1_024 { XCTAssertLessThan(encoded.readableBytes, size / 2, "\(coding) \(size)") }
            }
        }
        XCTAssertEqual(CompressionLevels.gzipParameters(inputSize: 1_000).windowBits, 11 + 16)
        XCTAssertEqual(CompressionLevels.gzipParameters(inputSize: 1_000).memLevel, 5)
        XCTAssertEqual(CompressionLevels.gzipParameters(inputSize: 0).windowBits, 9 + 16)
        XCTAssertEqual(CompressionLevels.gzipParameters(inputSize: 10_000_000).windowBits, 31)
        XCTAssertEqual(CompressionLevels.gzipParameters(inputSize: 10_000_000).memLevel, 8)
    }

    func testCompressedSizes() throws {
        let text = CompressionTestData.buffer(CompressionTestData.text(Self.mebibyte))
        let random = CompressionTestData.buffer(CompressionTestData.random(Self.mebibyte))
        for coding in [ContentCoding.gzip, .br] {
            let textSize = try Compression.compress(text, coding: coding, allocator: self.allocator).readableBytes
            XCTAssertLessThan(textSize, Self.mebibyte / 3, "\(coding) text")
            // Incompressible data grows by framing only.
            let randomSize = try Compression.compress(random, coding: coding, allocator: self.allocator).readableBytes
            XCTAssertLessThan(randomSize, Self.mebibyte + Self.mebibyte / 100, "\(coding) random")
        }
    }

    func testStreamingManySmallChunksRoundTrip() throws {
        for coding in ContentCoding.allCases {
            for (name, input) in self.inputs {
                let encoder = try StreamingEncoder(coding: coding)
                var encoded: [UInt8] = []
                for chunk in CompressionTestData.chunks(input, maxChunk: 3000) {
                    encoded += try encoder.encode(chunk, allocator: self.allocator).bytes
                }
                encoded += try encoder.finish(allocator: self.allocator).bytes

                // Decode in different chunk sizes, streaming and one-shot.
                let decoder = try StreamingDecoder(coding: coding, maxOutput: input.count)
                var decoded: [UInt8] = []
                for chunk in CompressionTestData.chunks(encoded, maxChunk: 700, seed: 9) {
                    decoded += try decoder.decode(chunk, allocator: self.allocator).bytes
                }
                try decoder.finish()
                XCTAssertEqual(decoded, input, "streaming \(coding) \(name)")
                XCTAssertEqual(decoder.producedBytes, input.count)
                let oneShot = try Compression.decompress(
                    CompressionTestData.buffer(encoded), coding: coding, maxOutput: input.count, allocator: self.allocator
                )
                XCTAssertEqual(oneShot.bytes, input, "one-shot decode of stream \(coding) \(name)")
            }
        }
    }

    func testOneByteChunksDecode() throws {
        let input = CompressionTestData.text(20_000)
        for coding in [ContentCoding.gzip, .br] {
            let encoded = try Compression.compress(CompressionTestData.buffer(input), coding: coding, allocator: self.allocator)
            let decoder = try StreamingDecoder(coding: coding, maxOutput: input.count)
            var decoded: [UInt8] = []
            for byte in encoded.bytes {
                decoded += try decoder.decode(CompressionTestData.buffer([byte]), allocator: self.allocator).bytes
            }
            try decoder.finish()
            XCTAssertEqual(decoded, input, "\(coding)")
        }
    }

    func testEveryLevelRoundTrips() throws {
        let input = CompressionTestData.text(64 * 1024)
        for (coding, levels) in [(ContentCoding.br, 0...11), (.gzip, 0...9)] {
            for level in levels {
                let encoded = try Compression.compress(CompressionTestData.buffer(input), coding: coding, level: level, allocator: self.allocator)
                let decoded = try Compression.decompress(encoded, coding: coding, maxOutput: input.count, allocator: self.allocator)
                XCTAssertEqual(decoded.bytes, input, "\(coding) level \(level)")
                let encoder = try StreamingEncoder(coding: coding, level: level)
                var streamed = try encoder.encode(CompressionTestData.buffer(input), allocator: self.allocator).bytes
                streamed += try encoder.finish(allocator: self.allocator).bytes
                let decoded2 = try Compression.decompress(
                    CompressionTestData.buffer(streamed), coding: coding, maxOutput: input.count, allocator: self.allocator
                )
                XCTAssertEqual(decoded2.bytes, input, "streaming \(coding) level \(level)")
            }
        }
    }

    func testFlushMakesEverythingSoFarDecodable() throws {
        let first = CompressionTestData.text(10_000, seed: 5)
        let second = CompressionTestData.text(5_000, seed: 6)
        for coding in [ContentCoding.gzip, .br] {
            let encoder = try StreamingEncoder(coding: coding)
            let decoder = try StreamingDecoder(coding: coding, maxOutput: 1 << 20)
            var sent = try encoder.encode(CompressionTestData.buffer(first), allocator: self.allocator).bytes
            sent += try encoder.flush(allocator: self.allocator).bytes
            XCTAssertEqual(try encoder.flush(allocator: self.allocator).readableBytes, 0, "second flush is empty")
            var decoded = try decoder.decode(CompressionTestData.buffer(sent), allocator: self.allocator).bytes
            XCTAssertEqual(decoded, first, "\(coding): flushed data decodes before the end")
            var rest = try encoder.encode(CompressionTestData.buffer(second), allocator: self.allocator).bytes
            rest += try encoder.finish(allocator: self.allocator).bytes
            decoded += try decoder.decode(CompressionTestData.buffer(rest), allocator: self.allocator).bytes
            try decoder.finish()
            XCTAssertEqual(decoded, first + second)
        }
    }

    func testConcatenatedGzipMembersDecode() throws {
        let a = CompressionTestData.text(3000, seed: 7)
        let b = CompressionTestData.text(4000, seed: 8)
        var joined = try Compression.compress(CompressionTestData.buffer(a), coding: .gzip, allocator: self.allocator)
        var second = try Compression.compress(CompressionTestData.buffer(b), coding: .gzip, allocator: self.allocator)
        joined.writeBuffer(&second)
        let decoded = try Compression.decompress(joined, coding: .gzip, maxOutput: 10_000, allocator: self.allocator)
        XCTAssertEqual(decoded.bytes, a + b)
    }

    func testIdentityPassesThrough() throws {
        let input = CompressionTestData.buffer([1, 2, 3])
        XCTAssertEqual(try Compression.compress(input, coding: .identity, allocator: self.allocator), input)
        let encoder = try StreamingEncoder(coding: .identity)
        XCTAssertEqual(try encoder.encode(input, allocator: self.allocator), input)
        XCTAssertEqual(try encoder.finish(allocator: self.allocator).readableBytes, 0)
    }

    func testEncoderReleasesNativeStateRepeatedly() throws {
        // Many short-lived encoders and decoders: deinit must free native state (checked by
        // AddressSanitizer/LeakSanitizer runs; here at least no crash and stable behaviour).
        let input = CompressionTestData.buffer(CompressionTestData.text(2000))
        for _ in 0..<200 {
            for coding in [ContentCoding.gzip, .br] {
                let encoder = try StreamingEncoder(coding: coding)
                _ = try encoder.encode(input, allocator: self.allocator)
                _ = try StreamingDecoder(coding: coding, maxOutput: 10)
            }
        }
    }
}
