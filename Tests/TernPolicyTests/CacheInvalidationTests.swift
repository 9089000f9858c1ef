import NIOHTTP1
import TernPolicy
import XCTest

final class CacheInvalidationTests: XCTestCase {
    private struct Case {
        var name: String
        var method: HTTPMethod = .POST
        var status: Int = 200
        var path: String = "/a/b/c"
        var query: String? = nil
        var host: String = "example.com"
        var response: [(String, String)] = []
        var expected: [String]
    }

    // MARK: RFC 9111 §4.4 invalidating stored responses

    func testSection4_4Invalidation() {
        let cases: [Case] = [
            Case(name: "POST target", expected: ["/a/b/c"]),
            Case(name: "with query", query: "x=1", expected: ["/a/b/c?x=1"]),
            Case(name: "PUT", method: .PUT, expected: ["/a/b/c"]),
            Case(name: "DELETE", method: .DELETE, expected: ["/a/b/c"]),
            Case(name: "PATCH", method: .PATCH, expected: ["/a/b/c"]),
            Case(name: "unknown method is unsafe", method: .RAW(value: "FROB"), expected: ["/a/b/c"]),
            Case(name: "GET is safe", method: .GET, expected: []),
            Case(name: "HEAD is safe", method: .HEAD, expected: []),
            Case(name: "OPTIONS is safe", method: .OPTIONS, expected: []),
            Case(name: "TRACE is safe", method: .TRACE, expected: []),
            Case(name: "3xx counts", status: 303, expected: ["/a/b/c"]),
            Case(name: "4xx does not", status: 404, expected: []),
            Case(name: "5xx does not", status: 500, expected: []),
            Case(name: "1xx does not", status: 100, expected: []),
            Case(name: "Location absolute path", response: [("Location", "/x?y=1")], expected: ["/a/b/c", "/x?y=1"]),
            Case(name: "Content-Location relative", response: [("Content-Location", "d")], expected: ["/a/b/c", "/a/b/d"]),
            Case(name: "dot segments", response: [("Location", "../../e/./f")], expected: ["/a/b/c", "/e/f"]),
            Case(name: "query-only reference", query: "old", response: [("Location", "?new")], expected: ["/a/b/c?old", "/a/b/c?new"]),
            Case(name: "fragment dropped", response: [("Location", "/x#frag")], expected: ["/a/b/c", "/x"]),
            Case(name: "same host absolute", response: [("Location", "http://Example.com/z")], expected: ["/a/b/c", "/z"]),
            Case(name: "same host with default port", response: [("Location", "https://example.com:443/z")], expected: ["/a/b/c", "/z"]),
            Case(name: "same host, request has port", host: "example.com:8080",
                 response: [("Location", "http://example.com:8080/z")], expected: ["/a/b/c", "/z"]),
            Case(name: "different port ignored", host: "example.com:8080", response: [("Location", "http://example.com/z")], expected: ["/a/b/c"]),
            Case(name: "different host ignored", response: [("Location", "http://evil.example/z"), ("Content-Location", "//evil.example/q")],
                 expected: ["/a/b/c"]),
            Case(name: "network-path same host", response: [("Content-Location", "//example.com/n")], expected: ["/a/b/c", "/n"]),
            Case(name: "host without path", response: [("Location", "http://example.com")], expected: ["/a/b/c", "/"]),
            Case(name: "other scheme ignored", response: [("Location", "ftp://example.com/z")], expected: ["/a/b/c"]),
            Case(name: "both headers, deduplicated", response: [("Location", "/a/b/c"), ("Content-Location", "/n")], expected: ["/a/b/c", "/n"]),
        ]
        for c in cases {
            let targets = CachePolicy.invalidationTargets(
                method: c.method, status: c.status, requestPath: c.path, requestQuery: c.query,
                requestHost: c.host, responseHeaders: HTTPHeaders(c.response)
            )
            XCTAssertEqual(targets, c.expected, c.name)
        }
    }
}
