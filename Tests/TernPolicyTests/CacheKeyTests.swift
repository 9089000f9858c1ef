import NIOHTTP1
import TernPolicy
import XCTest

final class CacheKeyTests: XCTestCase {
    private func key(
        scheme: String = "http",
        host: String = "example.com",
        path: String = "/",
        query: String? = nil,
        headers: [(String, String)] = [],
        options: CacheKeyOptions = CacheKeyOptions()
    ) -> String {
        let key = CacheKey.primary(
            scheme: scheme, host: host, path: path, query: query, requestHeaders: HTTPHeaders(headers), options: options, partition: "app"
        )
        // Every key ends with its partition; the tables below compare what comes before it.
        XCTAssertTrue(key.hasSuffix("\u{1F}o:app"), key)
        return String(key.dropLast("\u{1F}o:app".count))
    }

    func testPartitionSeparatesRoutes() {
        let a = CacheKey.primary(scheme: "http", host: "h", path: "/x", query: "t=1", requestHeaders: [:], options: .default, partition: "a")
        let b = CacheKey.primary(scheme: "http", host: "h", path: "/x", query: "t=1", requestHeaders: [:], options: .default, partition: "b")
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, "http://h/x?t=1\u{1F}o:a")
        // A partition can't forge another extra.
        let forged = CacheKey.primary(scheme: "http", host: "h", path: "/x", query: nil, requestHeaders: [:], options: .default, partition: "a\u{1F}o:b")
        XCTAssertEqual(forged, "http://h/x\u{1F}o:a%1Fo:b")
    }

    // MARK: RFC 9111 §2 + RFC 3986 §6.2.2 normalisation

    func testNormalisation() {
        let cases: [(String, String, String)] = [
            ("basic", self.key(path: "/a/b", query: "x=1"), "http://example.com/a/b?x=1"),
            ("scheme and host case", self.key(scheme: "HTTP", host: "Example.COM"), "http://example.com/"),
            ("http default port", self.key(host: "example.com:80"), "http://example.com/"),
            ("https default port", self.key(scheme: "https", host: "example.com:443"), "https://example.com/"),
            ("443 kept for http", self.key(host: "example.com:443"), "http://example.com:443/"),
            ("other port kept", self.key(host: "example.com:8080"), "http://example.com:8080/"),
            ("trailing dot", self.key(host: "example.com.:80"), "http://example.com/"),
            ("IPv6 with default port", self.key(host: "[::1]:80"), "http://[::1]/"),
            ("IPv6 with port", self.key(host: "[::1]:81"), "http://[::1]:81/"),
            ("empty path", self.key(path: ""), "http://example.com/"),
            ("hex upper-cased", self.key(path: "/a%2fb%e2%82%ac"), "http://example.com/a%2Fb%E2%82%AC"),
            ("unreserved decoded", self.key(path: "/%7Euser/%41%2D%5f"), "http://example.com/~user/A-_"),
            ("broken escapes kept", self.key(path: "/a%G1%4"), "http://example.com/a%G1%4"),
            ("dot segments kept", self.key(path: "/a/../b"), "http://example.com/a/../b"),
            ("plus kept", self.key(query: "q=a+b"), "http://example.com/?q=a+b"),
            ("query escapes normalised", self.key(query: "q=%7e%2b"), "http://example.com/?q=~%2B"),
            ("empty query kept", self.key(path: "/a", query: ""), "http://example.com/a?"),
        ]
        for (name, actual, expected) in cases { XCTAssertEqual(actual, expected, name) }
    }

    func testQueryModes() {
        let q = "b=2&a=1&utm_source=x&a=0"
        let cases: [(CacheKeyOptions.Query, String)] = [
            (.keep, "http://example.com/p?b=2&a=1&utm_source=x&a=0"),
            (.sort, "http://example.com/p?a=1&a=0&b=2&utm_source=x"),
            (.drop, "http://example.com/p"),
            (.allow(["a"]), "http://example.com/p?a=1&a=0"),
            (.allow(["zzz"]), "http://example.com/p"),
            (.deny(["utm_source"]), "http://example.com/p?b=2&a=1&a=0"),
        ]
        for (mode, expected) in cases {
            XCTAssertEqual(self.key(path: "/p", query: q, options: CacheKeyOptions(query: mode)), expected, "\(mode)")
        }
        XCTAssertEqual(self.key(path: "/p", query: "", options: CacheKeyOptions(query: .sort)), "http://example.com/p")
    }

    func testHeaderAndCookieExtras() {
        let options = CacheKeyOptions(headers: ["X-Device"], cookies: ["lang", "missing"])
        let key = self.key(
            path: "/a", headers: [("X-Device", "mobile"), ("Cookie", "session=1; lang=en"), ("Cookie", "lang=fr")], options: options
        )
        XCTAssertEqual(key, "http://example.com/a\u{1F}h:x-device=mobile\u{1F}c:lang=en\u{1F}c:missing")

        let absent = self.key(path: "/a", options: CacheKeyOptions(headers: ["x-device"]))
        let empty = self.key(path: "/a", headers: [("X-Device", "")], options: CacheKeyOptions(headers: ["x-device"]))
        XCTAssertNotEqual(absent, empty)

        let forged = self.key(path: "/a", headers: [("X-Device", "m\u{1F}c:lang=en")], options: CacheKeyOptions(headers: ["x-device"], cookies: ["lang"]))
        XCTAssertEqual(forged, "http://example.com/a\u{1F}h:x-device=m%1Fc:lang=en\u{1F}c:lang")
        let percent = self.key(path: "/a", headers: [("X-Device", "m%1Fc")], options: CacheKeyOptions(headers: ["x-device"]))
        XCTAssertEqual(percent, "http://example.com/a\u{1F}h:x-device=m%251Fc")
    }

    func testExplain() {
        let lines = CacheKey.explain(
            scheme: "http", host: "Example.com:80", path: "/%7ea", query: "b=1&a=2",
            requestHeaders: HTTPHeaders([("Cookie", "lang=en")]),
            options: CacheKeyOptions(query: .sort, headers: ["x-device"], cookies: ["lang"]), partition: "app"
        )
        XCTAssertEqual(lines, [
            "scheme: http",
            "host: Example.com:80 → example.com (lower-cased; trailing dot and default port removed)",
            "path: /%7ea → /~a (percent-encoding normalised, RFC 3986 §6.2.2)",
            "query (sort by name): ?b=1&a=2 → ?a=2&b=1",
            "header x-device: absent",
            "cookie lang: \"en\"",
            "partition: origin app (the route's pool)",
            "key: http://example.com/~a?a=2&b=1 ␟ h:x-device ␟ c:lang=en ␟ o:app",
        ])
    }
}
