import TernCore
import XCTest

final class ByteCountTests: XCTestCase {
    func testParseAccepts() {
        let cases: [(String, Int64, UInt)] = [
            ("0", 0, #line),
            ("123", 123, #line),
            ("512B", 512, #line),
            ("512b", 512, #line),
            ("16KiB", 16 * 1024, #line),
            ("512MiB", 512 * 1024 * 1024, #line),
            ("4GiB", 4 * 1024 * 1024 * 1024, #line),
            ("1TiB", 1 << 40, #line),
            ("10KB", 10_000, #line),
            ("10MB", 10_000_000, #line),
            ("10GB", 10_000_000_000, #line),
            ("16k", 16 * 1024, #line),
            ("16K", 16 * 1024, #line),
            ("8m", 8 << 20, #line),
            ("2g", 2 << 30, #line),
            ("  64KiB  ", 64 * 1024, #line),
            ("64 KiB", 64 * 1024, #line),
            ("9223372036854775807", Int64.max, #line),
        ]
        for (text, expected, line) in cases {
            XCTAssertEqual(ByteCount.parse(text), ByteCount(expected), "parse(\(text))", line: line)
        }
    }

    func testParseRejects() {
        let cases: [(String, UInt)] = [
            ("", #line), ("   ", #line), ("-1", #line), ("-1KiB", #line), ("1.5MiB", #line),
            ("KiB", #line), ("12QB", #line), ("12 K iB", #line), ("1e3", #line), ("0x10", #line),
            ("9223372036854775808", #line), ("9999999999TiB", #line), ("10KiBs", #line), ("+5", #line),
        ]
        for (text, line) in cases {
            XCTAssertNil(ByteCount.parse(text), "parse(\(text))", line: line)
        }
    }

    func testDescription() {
        let cases: [(Int64, String, UInt)] = [
            (0, "0B", #line), (1, "1B", #line), (1000, "1000B", #line), (1024, "1KiB", #line),
            (16384, "16KiB", #line), (1536, "1536B", #line), (3 << 20, "3MiB", #line),
            ((1 << 30) + (1 << 20), "1025MiB", #line), (4 << 30, "4GiB", #line), (2 << 40, "2TiB", #line),
        ]
        for (bytes, text, line) in cases {
            XCTAssertEqual(ByteCount(bytes).description, text, line: line)
            XCTAssertEqual(ByteCount.parse(text), ByteCount(bytes), "round trip", line: line)
        }
    }

    func testComparable() {
        XCTAssertLessThan(ByteCount.parse("1MB")!, ByteCount.parse("1MiB")!)
        XCTAssertEqual(ByteCount.kibibytes(16), ByteCount(16384))
        XCTAssertEqual(ByteCount.mebibytes(1), ByteCount(1 << 20))
        XCTAssertEqual(ByteCount.gibibytes(1), ByteCount(1 << 30))
    }
}
