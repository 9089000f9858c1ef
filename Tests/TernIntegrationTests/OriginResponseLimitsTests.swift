import NIOCore
import NIOHTTP1
import TernConfig
import TernCore
@testable import TernProxy
import XCTest

/// The origin-side parser under `response_limits`: count, bytes and interim responses, at and just
/// past each limit (pure: no sockets).
final class OriginResponseLimitsTests: XCTestCase {
    enum Result: Equatable {
        case head(Int)
        case overflow
        case tooManyInterim
        case other(String)
    }

    private func parse(_ text: String, limits: OriginResponseLimits) -> Result {
        var parser = HTTP1Parser(kind: .response, limits: HTTP1DecoderLimits(origin: limits))
        parser.requestSent(.GET)
        var buffer = ByteBuffer(string: text)
        do {
            while let event = try parser.next(&buffer) {
                if case .responseHead(let head) = event { return .head(head.headers.count) }
            }
            return .other("incomplete")
        } catch HTTPParserError.headerOverflow {
            return .overflow
        } catch let error as OriginResponseLimitError {
            return error.description.contains("interim") ? .tooManyInterim : .other(error.description)
        } catch {
            return .other("\(error)")
        }
    }

    private func response(fields: Int, valueBytes: Int = 1, interim: Int = 0) -> String {
        let lines = (0..<fields).map { "X-\($0): " + String(repeating: "v", count: valueBytes) }
        return String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: interim)
            + (["HTTP/1.1 200 OK"] + lines).joined(separator: "\r\n") + "\r\n\r\n"
    }

    func testLimitsTable() {
        let limits = OriginResponseLimits(maxHeaderCount: 10, maxHeaderBytes: .kibibytes(1), maxInterimResponses: 2)
        let cases: [(name: String, text: String, expected: Result, line: UInt)] = [
            ("10 fields", self.response(fields: 10), .head(10), #line),
            ("11 fields", self.response(fields: 11), .overflow, #line),
            // "X-0" + 1021 value bytes = 1024 (the limit); 1022 value bytes → 1025.
            ("bytes at the limit", self.response(fields: 1, valueBytes: 1021), .head(1), #line),
            ("bytes past the limit", self.response(fields: 1, valueBytes: 1022), .overflow, #line),
            ("2 interim", self.response(fields: 1, interim: 2), .head(1), #line),
            ("3 interim", self.response(fields: 1, interim: 3), .tooManyInterim, #line),
        ]
        for c in cases {
            XCTAssertEqual(self.parse(c.text, limits: limits), c.expected, c.name, line: c.line)
        }
    }

    func testInterimCountStartsAfreshForEachResponse() {
        let limits = OriginResponseLimits(maxInterimResponses: 1)
        var parser = HTTP1Parser(kind: .response, limits: HTTP1DecoderLimits(origin: limits))
        parser.requestSent(.GET)
        parser.requestSent(.GET)
        let one = "HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        var buffer = ByteBuffer(string: one + one)
        var heads = 0
        XCTAssertNoThrow(try {
            while let event = try parser.next(&buffer) {
                if case .responseHead = event { heads += 1 }
            }
        }())
        XCTAssertEqual(heads, 2)
    }

    func testZeroInterimRefusesAny1xx() {
        XCTAssertEqual(self.parse(self.response(fields: 1, interim: 1), limits: OriginResponseLimits(maxInterimResponses: 0)), .tooManyInterim)
    }
}
