import NIOHTTP1
import TernPolicy
import XCTest

final class CacheValidationTests: XCTestCase {
    private static let t0: Int64 = 1_700_000_000
    private static let t0ms: Int64 = t0 * 1000
    private static let lastModified = HTTPDate.format(t0 - 86_400)

    private func stored(_ headers: [(String, String)]) -> StoredResponse {
        StoredResponse(status: 200, headers: HTTPHeaders(headers), requestTime: Self.t0ms, responseTime: Self.t0ms)
    }

    // MARK: RFC 9111 §4.3.1 sending a validation request

    func testSection4_3_1ValidationHeaders() {
        let both = CachePolicy.validationHeaders(for: self.stored([("ETag", #"W/"v1""#), ("Last-Modified", Self.lastModified)]))
        XCTAssertEqual(both["if-none-match"], [#"W/"v1""#])
        XCTAssertEqual(both["if-modified-since"], [Self.lastModified])

        let none = CachePolicy.validationHeaders(for: self.stored([("Date", HTTPDate.format(Self.t0))]))
        XCTAssertTrue(none.isEmpty)

        let badDate = CachePolicy.validationHeaders(for: self.stored([("Last-Modified", "yesterday")]))
        XCTAssertTrue(badDate.isEmpty)

        var request = HTTPHeaders([
            ("Host", "example.com"), ("If-None-Match", #""client""#), ("If-Modified-Since", "x"),
            ("If-Match", "*"), ("If-Unmodified-Since", "y"), ("If-Range", #""z""#),
        ])
        CachePolicy.applyValidation(to: &request, for: self.stored([("ETag", #""v1""#)]))
        XCTAssertEqual(request.map(\.name), ["Host", "If-None-Match"])
        XCTAssertEqual(request["if-none-match"], [#""v1""#])
    }

    // MARK: RFC 9111 §4.3.4 freshening stored responses upon validation

    func testSection4_3_4NotModifiedSelects() {
        let cases: [(String, [(String, String)], [(String, String)], Bool)] = [
            ("strong match", [("ETag", #""v1""#)], [("ETag", #""v1""#)], true),
            ("strong mismatch", [("ETag", #""v2""#)], [("ETag", #""v1""#)], false),
            ("strong vs stored weak", [("ETag", #""v1""#)], [("ETag", #"W/"v1""#)], false),
            ("weak matches weakly", [("ETag", #"W/"v1""#)], [("ETag", #""v1""#)], true),
            ("etag but stored has none", [("ETag", #""v1""#)], [], false),
            ("Last-Modified match", [("Last-Modified", Self.lastModified)], [("Last-Modified", Self.lastModified)], true),
            ("Last-Modified mismatch", [("Last-Modified", HTTPDate.format(Self.t0))], [("Last-Modified", Self.lastModified)], false),
            ("no validators", [], [], true),
            ("bare 304 for a stored response with validators", [], [("ETag", #""v1""#)], true),
            ("ETag decides over Last-Modified", [("ETag", #""v1""#), ("Last-Modified", HTTPDate.format(Self.t0))],
             [("ETag", #""v1""#), ("Last-Modified", Self.lastModified)], true),
        ]
        for (name, notModified, stored, expected) in cases {
            XCTAssertEqual(CachePolicy.notModifiedSelects(HTTPHeaders(notModified), stored: self.stored(stored)), expected, name)
        }
    }

    // MARK: RFC 9111 §3.2 updating stored header fields

    func testSection3_2Merge() {
        let original = self.stored([
            ("Date", HTTPDate.format(Self.t0 - 100)), ("Age", "50"), ("Cache-Control", "max-age=1"), ("ETag", #""v1""#),
            ("Content-Type", "text/plain"), ("Content-Length", "10"), ("Content-Encoding", "gzip"),
            ("Test-Header", "A"), ("X-Multi", "1"), ("X-Multi", "2"), ("X-Untouched", "u"),
        ])
        let notModified = HTTPHeaders([
            ("Date", HTTPDate.format(Self.t0 + 1000)), ("Cache-Control", "max-age=3600"), ("ETag", #""v1""#),
            ("Content-Type", "text/plain;charset=utf-8"), ("Content-Length", "0"), ("Content-Encoding", "br"),
            ("Test-Header", "B"), ("X-Multi", "3"), ("Set-Cookie", "user=1"), ("Connection", "X-Hop"), ("X-Hop", "h"),
            ("Keep-Alive", "timeout=1"), ("Proxy-Authenticate", "Basic"),
        ])
        let merged = CachePolicy.merge(
            notModified: notModified, into: original, requestTime: Self.t0ms + 999_000, responseTime: Self.t0ms + 1_000_000
        )
        XCTAssertEqual(merged.requestTime, Self.t0ms + 999_000)
        XCTAssertEqual(merged.responseTime, Self.t0ms + 1_000_000)
        XCTAssertEqual(merged.status, 200)
        let h = merged.headers
        XCTAssertEqual(h["cache-control"], ["max-age=3600"])
        XCTAssertEqual(h["content-type"], ["text/plain;charset=utf-8"])
        XCTAssertEqual(h["test-header"], ["B"])
        XCTAssertEqual(h["x-multi"], ["3"])
        XCTAssertEqual(h["x-untouched"], ["u"])
        XCTAssertEqual(h["content-length"], ["10"], "never from a 304")
        XCTAssertEqual(h["content-encoding"], ["gzip"], "describes the stored bytes")
        XCTAssertEqual(h["date"], [HTTPDate.format(Self.t0 + 1000)])
        XCTAssertTrue(h["age"].isEmpty, "old Age no longer describes the message")
        XCTAssertTrue(h["set-cookie"].isEmpty, "one client's cookie is not shared")
        XCTAssertTrue(h["x-hop"].isEmpty && h["connection"].isEmpty && h["keep-alive"].isEmpty)
        XCTAssertTrue(h["proxy-authenticate"].isEmpty)

        // The merged response is fresh again at the new times.
        let f = CachePolicy.freshness(of: merged, now: Self.t0ms + 1_010_000, options: CachePolicyOptions())
        XCTAssertEqual(f.lifetime, 3600)
        XCTAssertEqual(f.currentAge, 11, "1 s response delay + 10 s resident")
        XCTAssertTrue(f.isFresh)

        let withCookies = CachePolicy.merge(
            notModified: notModified, into: original, requestTime: 0, responseTime: 0, options: CachePolicyOptions(cacheSetCookie: true)
        )
        XCTAssertEqual(withCookies.headers["set-cookie"], ["user=1"])
    }

    func testSection3_2MergeWithoutDateOrAge() {
        let original = self.stored([("Date", HTTPDate.format(Self.t0)), ("Age", "30"), ("Cache-Control", "max-age=60")])
        let merged = CachePolicy.merge(
            notModified: HTTPHeaders([("Cache-Control", "max-age=60")]), into: original,
            requestTime: Self.t0ms + 500_000, responseTime: Self.t0ms + 500_000
        )
        XCTAssertTrue(merged.headers["date"].isEmpty)
        let f = CachePolicy.freshness(of: merged, now: Self.t0ms + 500_000, options: CachePolicyOptions())
        XCTAssertEqual(f.currentAge, 0)
        XCTAssertTrue(f.isFresh)
    }
}
