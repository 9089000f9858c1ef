import Foundation
import NIOCore
import TernCompression
import TernPolicy
import XCTest

/// Cross-checks with the reference command-line tools (Debian packages `brotli` and `gzip`):
/// what Tern encodes they decode, and what they encode Tern decodes. Skipped when a tool is missing.
final class CompressionCLICrossCheckTests: XCTestCase {
    private let allocator = CompressionTestData.allocator

    private static func tool(for coding: ContentCoding) -> String? {
        let name = coding == .br ? "brotli" : "gzip"
        for directory in ["/usr/bin", "/bin", "/usr/local/bin"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        return nil
    }

    /// Runs `tool arguments` with `input` in a temporary file; returns its standard output.
    private func run(_ tool: String, _ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputURL = directory.appendingPathComponent("input")
        let outputURL = directory.appendingPathComponent("output")
        try Data(input).write(to: inputURL)
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        let output = try FileHandle(forWritingTo: outputURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments + [inputURL.path]
        process.standardOutput = output
        try process.run()
        process.waitUntilExit()
        try output.close()
        XCTAssertEqual(process.terminationStatus, 0, "\(tool) \(arguments)")
        return [UInt8](try Data(contentsOf: outputURL))
    }

    private var inputs: [(String, [UInt8])] {
        [
            ("empty", []),
            ("1 byte", [0x7A]),
            ("1 MiB random", CompressionTestData.random(1 << 20)),
            ("1 MiB text", CompressionTestData.text(1 << 20)),
        ]
    }

    func testReferenceToolsDecodeWhatTernEncodes() throws {
        for coding in [ContentCoding.gzip, .br] {
            guard let tool = Self.tool(for: coding) else {
                throw XCTSkip("\(coding == .br ? "brotli" : "gzip") CLI not installed (apt-get install -y \(coding == .br ? "brotli" : "gzip"))")
            }
            for (name, input) in self.inputs {
                let oneShot = try Compression.compress(CompressionTestData.buffer(input), coding: coding, allocator: self.allocator)
                XCTAssertEqual(try self.run(tool, ["-d", "-c"], input: oneShot.bytes), input, "one-shot \(coding) \(name)")

                let encoder = try StreamingEncoder(coding: coding)
                var streamed: [UInt8] = []
                for chunk in CompressionTestData.chunks(input, maxChunk: 5000) {
                    streamed += try encoder.encode(chunk, allocator: self.allocator).bytes
                }
                streamed += try encoder.finish(allocator: self.allocator).bytes
                XCTAssertEqual(try self.run(tool, ["-d", "-c"], input: streamed), input, "streaming \(coding) \(name)")
            }
        }
    }

    func testTernDecodesWhatReferenceToolsEncode() throws {
        for coding in [ContentCoding.gzip, .br] {
            guard let tool = Self.tool(for: coding) else {
                throw XCTSkip("\(coding == .br ? "brotli" : "gzip") CLI not installed")
            }
            for (name, input) in self.inputs {
                let encoded = try self.run(tool, ["-c", "-9"], input: input)
                let decoded = try Compression.decompress(
                    CompressionTestData.buffer(encoded), coding: coding, maxOutput: input.count, allocator: self.allocator
                )
                XCTAssertEqual(decoded.bytes, input, "\(coding) \(name)")
            }
        }
    }
}
