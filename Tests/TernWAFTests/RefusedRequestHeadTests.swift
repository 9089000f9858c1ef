import NIOCore
import TernWAF
import XCTest

/// The lenient reading of heads the HTTP parser refused (fed to the WAF for the audit log only).
final class RefusedRequestHeadTests: XCTestCase {
    private func parse(_ text: String) -> RefusedRequestHead? {
        RefusedRequestHead(raw: ByteBuffer(string: text))
    }

    func testRequestLines() {
        let cases: [(raw: String, method: String, uri: String, version: String)] = [
            ("TEST / HTTP/1.1\r\nHost: a\r\n\r\n", "TEST", "/", "HTTP/1.1"),
            ("|GET / HTTP/1.0\r\n\r\n", "|GET", "/", "HTTP/1.0"),
            ("GET / HTTP/3.0\r\n\r\n", "GET", "/", "HTTP/3.0"),
            ("GET \\index.html HTTP\\1.0\r\n\r\n", "GET", "\\index.html", "HTTP\\1.0"),
            ("GET /?x=<script+>a b</script> HTTP/1.1\r\n\r\n", "GET", "/?x=<script+>a b</script>", "HTTP/1.1"),
            ("POST ?x=1 HTTP/1.1\n\n", "POST", "?x=1", "HTTP/1.1"),
            ("   GET /\tHTTP/1.1\r\n", "GET", "/", "HTTP/1.1"),
            ("GET /no-version\r\n\r\n", "GET", "/no-version", ""),
            ("GET /cut-short HTTP/1.1", "GET", "/cut-short", "HTTP/1.1"),
        ]
        for c in cases {
            let head = self.parse(c.raw)
            XCTAssertEqual(head?.method, c.method, c.raw.debugDescription)
            XCTAssertEqual(head?.uri, c.uri, c.raw.debugDescription)
            XCTAssertEqual(head?.version, c.version, c.raw.debugDescription)
        }
    }

    func testNotARequestLine() {
        for raw in ["", "\r\n\r\n", "GET\r\n", "Header: value\r\n\r\n", "\u{1}\u{2} / HTTP/1.1\r\n", "caf\u{E9} / HTTP/1.1\r\n"] {
            XCTAssertNil(self.parse(raw), raw.debugDescription)
        }
    }

    func testHeaders() throws {
        let raw = "FOO / HTTP/1.1\r\nX-Tern-Test-Id: abc\r\nHost:  localhost \r\n folded\r\nno-colon\r\n: empty-name\r\nEmpty:\r\n\r\nBody: not a header\r\n"
        let head = try XCTUnwrap(self.parse(raw))
        XCTAssertEqual(head.headers.map(\.0), ["X-Tern-Test-Id", "Host", "Empty"])
        XCTAssertEqual(head.headers.map(\.1), ["abc", "localhost", ""])
    }

    func testHeaderCountIsBounded() throws {
        let raw = "GET / HTTP/1.1\r\n" + (0..<500).map { "H\($0): v\r\n" }.joined() + "\r\n"
        let head = try XCTUnwrap(RefusedRequestHead(raw: ByteBuffer(string: raw), maxHeaders: 100))
        XCTAssertEqual(head.headers.count, 100)
        XCTAssertEqual(head.headers.last?.0, "H99")
    }
}
