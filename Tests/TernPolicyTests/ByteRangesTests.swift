import NIOCore
import TernPolicy
import XCTest

final class ByteRangesTests: XCTestCase {
    func testParsing() {
        let cases: [(String, [ByteRanges.Spec]?)] = [
            ("bytes=0-499", [.from(first: 0, last: 499)]),
            ("bytes=500-999", [.from(first: 500, last: 999)]),
            ("bytes=-500", [.suffix(length: 500)]),
            ("bytes=9500-", [.from(first: 9500, last: nil)]),
            ("bytes=0-0,-1", [.from(first: 0, last: 0), .suffix(length: 1)]),
            ("bytes=0-99,200-,-500", [.from(first: 0, last: 99), .from(first: 200, last: nil), .suffix(length: 500)]),
            ("bytes= 0-1 , 5-6 ", [.from(first: 0, last: 1), .from(first: 5, last: 6)]),
            ("bytes=0-1,,5-6,", [.from(first: 0, last: 1), .from(first: 5, last: 6)]),
            ("BYTES=1-2", [.from(first: 1, last: 2)]),
            ("bytes=99999999999999999999-", [.from(first: Int64.max, last: nil)]),
            ("bytes=0-99999999999999999999", [.from(first: 0, last: Int64.max)]),
            ("bytes=5-5", [.from(first: 5, last: 5)]),
            // Invalid: the whole header is ignored.
            ("bytes=5-4", nil),
            ("bytes=", nil),
            ("bytes=,", nil),
            ("bytes=-", nil),
            ("bytes=a-b", nil),
            ("bytes=1-2-3", nil),
            ("bytes=+1-2", nil),
            ("bytes=0-1,x", nil),
            ("bytes 0-1", nil),
            ("bytes =0-1", nil),
            ("items=0-1", nil),
            ("byte=0-1", nil),
            ("", nil),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(ByteRanges.parse(text), expected, text)
        }
    }

    func testResolution() {
        let length: Int64 = 10_000
        let cases: [(String, RangeResolution)] = [
            ("bytes=0-499", .satisfiable([0...499])),
            ("bytes=-500", .satisfiable([9500...9999])),
            ("bytes=9500-", .satisfiable([9500...9999])),
            ("bytes=0-0,-1", .satisfiable([0...0, 9999...9999])),
            ("bytes=0-99999", .satisfiable([0...9999])),
            ("bytes=-20000", .satisfiable([0...9999])),
            ("bytes=9999-", .satisfiable([9999...9999])),
            // Merged and ordered.
            ("bytes=500-600,601-999", .satisfiable([500...999])),
            ("bytes=500-700,601-999", .satisfiable([500...999])),
            ("bytes=200-299,0-99", .satisfiable([0...99, 200...299])),
            ("bytes=0-99,200-,-500", .satisfiable([0...99, 200...9999])),
            ("bytes=0-99,10000-", .satisfiable([0...99])),
            // Unsatisfiable.
            ("bytes=10000-", .unsatisfiable),
            ("bytes=10000-20000,20001-", .unsatisfiable),
            ("bytes=-0", .unsatisfiable),
            // Ignored.
            ("bytes=5-4", .full),
            ("lines=0-1", .full),
            ("bytes=x", .full),
            // Abuse: more than two overlaps.
            ("bytes=0-100,0-100,0-100,0-100", .full),
            ("bytes=0-100,0-100,0-100", .satisfiable([0...100])),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(ByteRanges.resolve(header: text, length: length), expected, text)
        }
        XCTAssertEqual(ByteRanges.resolve(header: "bytes=0-", length: 0), .unsatisfiable)
        XCTAssertEqual(ByteRanges.resolve(header: "bytes=-5", length: 0), .unsatisfiable)
    }

    func testAbusiveRequestsAreServedInFull() {
        let many = "bytes=" + (0..<101).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        XCTAssertEqual(ByteRanges.resolve(header: many, length: 100_000), .full)
        let hundred = "bytes=" + (0..<100).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        guard case .satisfiable(let ranges) = ByteRanges.resolve(header: hundred, length: 100_000) else {
            return XCTFail("100 ascending ranges should be honoured")
        }
        XCTAssertEqual(ranges.count, 100)
        let shuffled = "bytes=" + (0..<20).reversed().map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        XCTAssertEqual(ByteRanges.resolve(header: shuffled, length: 100_000), .full)
        let fewShuffled = "bytes=" + (0..<4).reversed().map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        XCTAssertEqual(ByteRanges.resolve(header: fewShuffled, length: 100_000), .satisfiable([0...1, 10...11, 20...21, 30...31]))
    }

    func testContentRange() {
        XCTAssertEqual(ByteRanges.contentRange(0...99, length: 1234), "bytes 0-99/1234")
        XCTAssertEqual(ByteRanges.unsatisfiedContentRange(length: 1234), "bytes */1234")
    }

    func testMultipartLayout() {
        let layout = ByteRanges.multipart(ranges: [0...1, 5...9], length: 10, contentType: "text/plain", boundary: "B")
        XCTAssertEqual(layout.contentType, "multipart/byteranges; boundary=B")
        XCTAssertEqual(layout.parts.count, 2)
        XCTAssertEqual(
            String(buffer: layout.parts[0].header),
            "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n"
        )
        XCTAssertEqual(
            String(buffer: layout.parts[1].header),
            "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-9/10\r\n\r\n"
        )
        XCTAssertEqual(String(buffer: layout.closing), "\r\n--B--\r\n")

        // Assemble the body and check Content-Length against it.
        let data = Array("0123456789".utf8)
        var body = ByteBuffer()
        for part in layout.parts {
            var header = part.header
            body.writeBuffer(&header)
            body.writeBytes(data[Int(part.range.lowerBound)...Int(part.range.upperBound)])
        }
        var closing = layout.closing
        body.writeBuffer(&closing)
        XCTAssertEqual(Int64(body.readableBytes), layout.contentLength)
        XCTAssertEqual(
            String(buffer: body),
            "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/10\r\n\r\n01"
                + "\r\n--B\r\nContent-Type: text/plain\r\nContent-Range: bytes 5-9/10\r\n\r\n56789"
                + "\r\n--B--\r\n"
        )
    }
}
