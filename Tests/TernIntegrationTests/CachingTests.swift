import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// RFC 9111 behaviour through the real server, observed via `Cache-Status` and origin request counts.
final class CachingTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    private func start(_ handler: @escaping @Sendable (TestRequest) -> TestResponse, cache: String = "", route: String = "") throws {
        self.origin = try TestOrigin.start(handler: handler)
        self.tern = try startTern("""
            \(testListenerYAML)
            origins:
              app:
                members: ["\(self.origin.url)"]
            routes:
              - path: /
                origin: app
            \(route)
            \(cache)
            """)
    }

    private func originCount(_ uri: String) -> Int { self.origin.requests.filter { $0.uri == uri }.count }

    func testMissThenHitWithAgeAndCacheStatus() throws {
        try self.start { request in .ok("body of \(request.uri)", headers: [("Cache-Control", "max-age=60"), ("ETag", "\"v1\"")]) }
        let miss = try get(self.tern.port, "/a")
        XCTAssertEqual(miss.bodyString, "body of /a")
        XCTAssertEqual(miss.header("Cache-Status"), "tern; fwd=uri-miss; fwd-status=200; stored; ttl=60")
        let hit = try get(self.tern.port, "/a")
        XCTAssertEqual(hit.bodyString, "body of /a")
        XCTAssertTrue(hit.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, hit.header("Cache-Status") ?? "-")
        XCTAssertNotNil(hit.header("Age"))
        XCTAssertEqual(hit.header("Via"), "1.1 tern")
        XCTAssertEqual(self.originCount("/a"), 1)
        // A different query string is a different object.
        _ = try get(self.tern.port, "/a?x=1")
        XCTAssertEqual(self.originCount("/a?x=1"), 1)
    }

    func testUncacheableResponsesAreNotStored() throws {
        try self.start { request in
            switch request.uri {
            case "/private": return .ok("p", headers: [("Cache-Control", "private, max-age=60")])
            case "/nostore": return .ok("n", headers: [("Cache-Control", "no-store")])
            case "/cookie": return .ok("c", headers: [("Cache-Control", "max-age=60"), ("Set-Cookie", "s=1")])
            case "/vary-star": return .ok("v", headers: [("Cache-Control", "max-age=60"), ("Vary", "*")])
            default: return .status(500, body: "err")
            }
        }
        for (uri, detail) in [("/private", "private"), ("/nostore", "no-store"), ("/cookie", "set-cookie"), ("/vary-star", "vary-star")] {
            let first = try get(self.tern.port, uri)
            XCTAssertTrue(first.header("Cache-Status")?.contains("detail=\(detail)") ?? false, "\(uri): \(first.header("Cache-Status") ?? "-")")
            _ = try get(self.tern.port, uri)
            XCTAssertEqual(self.originCount(uri), 2, uri)
        }
        // Authorization requests are not shared (RFC 9111 §3.5).
        _ = try get(self.tern.port, "/private", headers: [("Authorization", "Bearer x")])
    }

    func testAuthorizationNotSharedUnlessPublic() throws {
        try self.start { request in
            request.uri == "/public" ? .ok("pub", headers: [("Cache-Control", "public, max-age=60")]) : .ok("secret", headers: [("Cache-Control", "max-age=60")])
        }
        _ = try get(self.tern.port, "/secret", headers: [("Authorization", "Basic YTpi")])
        _ = try get(self.tern.port, "/secret", headers: [("Authorization", "Basic YTpi")])
        XCTAssertEqual(self.originCount("/secret"), 2)
        _ = try get(self.tern.port, "/public", headers: [("Authorization", "Basic YTpi")])
        _ = try get(self.tern.port, "/public")
        XCTAssertEqual(self.originCount("/public"), 1)
    }

    func testRevalidationWith304MergesHeaders() throws {
        let counter = Counter()
        try self.start { request in
            let n = counter.next()
            if request.header("If-None-Match") == "\"v1\"" {
                // Stale on arrival (Age > max-age) so every request revalidates; the 304 updates X-Version.
                return .status(304, headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=1"), ("Age", "5"), ("X-Version", "\(n)")])
            }
            return .ok("content", headers: [("ETag", "\"v1\""), ("Cache-Control", "max-age=1"), ("Age", "5"), ("X-Version", "\(n)")])
        }
        let first = try get(self.tern.port, "/r")
        XCTAssertEqual(first.header("X-Version"), "1")
        let second = try get(self.tern.port, "/r")
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(second.bodyString, "content")
        XCTAssertEqual(second.header("X-Version"), "2", "the 304's fields update the stored response")
        XCTAssertTrue(second.header("Cache-Status")?.contains("fwd=stale; fwd-status=304") ?? false, second.header("Cache-Status") ?? "-")
        XCTAssertEqual(self.origin.requests.last?.header("If-None-Match"), "\"v1\"")
        let third = try get(self.tern.port, "/r")
        XCTAssertEqual(third.header("X-Version"), "3")
        XCTAssertEqual(third.bodyString, "content")
    }

    func testStaleIfErrorServesStaleOn5xxAndConnectFailure() throws {
        let failing = ManagedFlag(false)
        try self.start { _ in
            if failing.value { return .status(503, body: "down") }
            return .ok("good", headers: [("Cache-Control", "max-age=1, stale-if-error=600"), ("Age", "5")])
        }
        XCTAssertEqual(try get(self.tern.port, "/s").bodyString, "good")
        failing.value = true
        let stale = try get(self.tern.port, "/s")
        XCTAssertEqual(stale.status, 200)
        XCTAssertEqual(stale.bodyString, "good")
        XCTAssertTrue(stale.header("Cache-Status")?.contains("stale-if-error") ?? false, stale.header("Cache-Status") ?? "-")
        self.origin.stop()
        let offline = try get(self.tern.port, "/s")
        XCTAssertEqual(offline.status, 200, "connect failure also serves stale")
        XCTAssertEqual(offline.bodyString, "good")
    }

    func testNoStaleIfErrorWithoutDirective() throws {
        let failing = ManagedFlag(false)
        try self.start { _ in
            failing.value ? .status(503, body: "down") : .ok("good", headers: [("Cache-Control", "max-age=1"), ("Age", "5")])
        }
        _ = try get(self.tern.port, "/s")
        failing.value = true
        XCTAssertEqual(try get(self.tern.port, "/s").status, 503)
    }

    func testStaleWhileRevalidateServesStaleAndRefreshesOnce() throws {
        let counter = Counter()
        try self.start { request in
            let n = counter.next()
            return TestResponse.ok("v\(n)", headers: [("Cache-Control", "max-age=1, stale-while-revalidate=600"), ("Age", "5"), ("ETag", "\"e\(n)\"")])
                .delayed(by: request.header("If-None-Match") == nil ? .zero : .milliseconds(200))
        }
        XCTAssertEqual(try get(self.tern.port, "/w").bodyString, "v1")
        // Stale: served at once while one background revalidation runs.
        for _ in 0..<10 {
            let response = try get(self.tern.port, "/w")
            XCTAssertEqual(response.bodyString, "v1")
            XCTAssertTrue(response.header("Cache-Status")?.contains("hit") ?? false)
        }
        XCTAssertTrue(waitUntil(timeout: 3) { self.origin.requestCount == 2 })
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(self.origin.requestCount, 2, "one background revalidation for ten stale hits")
        XCTAssertEqual(self.origin.requests.last?.header("If-None-Match"), "\"e1\"")
        XCTAssertTrue(waitUntil(timeout: 3) { (try? RawHTTPClient.get(port: self.tern.port, path: "/w").bodyString) == "v2" })
    }

    func testUnsafeMethodInvalidates() throws {
        let counter = Counter()
        try self.start { request in
            if request.method == "POST" { return .status(201, headers: [("Location", "/items/7")]) }
            return .ok("version \(counter.next())", headers: [("Cache-Control", "max-age=600")])
        }
        XCTAssertEqual(try get(self.tern.port, "/items").bodyString, "version 1")
        XCTAssertEqual(try get(self.tern.port, "/items/7").bodyString, "version 2")
        XCTAssertEqual(try get(self.tern.port, "/items").bodyString, "version 1")
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("POST /items HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nhi")
        XCTAssertEqual(try client.readResponse().status, 201)
        XCTAssertEqual(try get(self.tern.port, "/items", headers: [("Host", "127.0.0.1")]).bodyString, "version 3", "POST invalidates its target")
        XCTAssertEqual(try get(self.tern.port, "/items/7", headers: [("Host", "127.0.0.1")]).bodyString, "version 4", "and the Location")
    }

    func testVaryStoresVariantsSeparately() throws {
        try self.start { request in
            .ok("lang=\(request.header("Accept-Language") ?? "none")", headers: [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")])
        }
        XCTAssertEqual(try get(self.tern.port, "/v", headers: [("Accept-Language", "en")]).bodyString, "lang=en")
        let fr = try get(self.tern.port, "/v", headers: [("Accept-Language", "fr")])
        XCTAssertEqual(fr.bodyString, "lang=fr")
        XCTAssertTrue(fr.header("Cache-Status")?.contains("fwd=vary-miss") ?? false, fr.header("Cache-Status") ?? "-")
        XCTAssertEqual(try get(self.tern.port, "/v", headers: [("Accept-Language", "en")]).bodyString, "lang=en")
        XCTAssertEqual(try get(self.tern.port, "/v", headers: [("Accept-Language", "fr")]).bodyString, "lang=fr")
        XCTAssertEqual(self.origin.requestCount, 2)
    }

    func testRangeHeadAndConditionalsFromCache() throws {
        let body = String((0..<100).map { _ in "0123456789" }.joined())
        try self.start { _ in .ok(body, headers: [("Cache-Control", "max-age=60"), ("ETag", "\"big\""), ("Last-Modified", "Tue, 01 Sep 2026 10:00:00 GMT")]) }
        // A ranged miss is answered with the range while the whole object is stored.
        let firstRange = try get(self.tern.port, "/f", headers: [("Range", "bytes=10-19")])
        XCTAssertEqual(firstRange.status, 206)
        XCTAssertEqual(firstRange.bodyString, "0123456789")
        XCTAssertNil(self.origin.lastRequest?.header("Range"), "the origin is asked for the full object")
        let range = try get(self.tern.port, "/f", headers: [("Range", "bytes=-5")])
        XCTAssertEqual(range.status, 206)
        XCTAssertEqual(range.header("Content-Range"), "bytes 995-999/1000")
        XCTAssertEqual(range.bodyString, "56789")
        XCTAssertEqual(try get(self.tern.port, "/f", headers: [("Range", "bytes=2000-")]).status, 416)
        let multi = try get(self.tern.port, "/f", headers: [("Range", "bytes=0-1,5-6")])
        XCTAssertEqual(multi.status, 206)
        XCTAssertTrue(multi.header("Content-Type")?.hasPrefix("multipart/byteranges") ?? false)
        XCTAssertEqual(try get(self.tern.port, "/f", headers: [("Range", "bytes=0-1"), ("If-Range", "\"other\"")]).status, 200)
        XCTAssertEqual(try get(self.tern.port, "/f", headers: [("If-None-Match", "W/\"big\"")]).status, 304)
        XCTAssertEqual(try get(self.tern.port, "/f", headers: [("If-Modified-Since", "Tue, 01 Sep 2026 10:00:00 GMT")]).status, 304)
        XCTAssertEqual(try get(self.tern.port, "/f", headers: [("If-Match", "\"nope\"")]).status, 412)

        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("HEAD /f HTTP/1.1\r\nHost: 127.0.0.1:\(self.tern.port)\r\n\r\n")
        let head = try client.readResponse(forMethod: "HEAD")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.header("Content-Length"), "1000")
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertEqual(self.origin.requestCount, 1, "everything above was answered from one stored GET")
    }

    func testHeadMissIsFetchedAsGetAndStored() throws {
        try self.start { request in .ok("payload-\(request.method)", headers: [("Cache-Control", "max-age=60")]) }
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("HEAD /h HTTP/1.1\r\nHost: 127.0.0.1:\(self.tern.port)\r\n\r\n")
        let head = try client.readResponse(forMethod: "HEAD")
        XCTAssertEqual(head.header("Content-Length"), "11")
        XCTAssertTrue(head.body.isEmpty)
        XCTAssertEqual(try get(self.tern.port, "/h").bodyString, "payload-GET")
        XCTAssertEqual(self.origin.requestCount, 1)
    }

    func testOnlyIfCachedMissIs504() throws {
        try self.start { _ in .ok("x", headers: [("Cache-Control", "max-age=60")]) }
        XCTAssertEqual(try get(self.tern.port, "/o", headers: [("Cache-Control", "only-if-cached")]).status, 504)
        XCTAssertEqual(self.origin.requestCount, 0)
    }

    func testTruncatedBodyIsNeverStored() throws {
        let counter = Counter()
        try self.start { _ in
            counter.next() == 1
                ? .performing(.abortAfterBodyBytes(10), body: Array(repeating: 65, count: 100))
                : .ok("complete", headers: [("Cache-Control", "max-age=60")])
        }
        XCTAssertThrowsError(try RawHTTPClient.get(port: self.tern.port, path: "/t"))
        XCTAssertEqual(try get(self.tern.port, "/t").bodyString, "complete", "the truncated body was not stored")
        XCTAssertEqual(self.origin.requestCount, 2)
    }

    func testObjectsOverTheSizeLimitPassThrough() throws {
        try self.start({ _ in .bytes(Array(repeating: 66, count: 4096), headers: [("Cache-Control", "max-age=60")]) }, cache: """
            cache:
              max_object_size: 1KiB
              memory_max_object: 1KiB
            """)
        XCTAssertEqual(try get(self.tern.port, "/big").body.count, 4096)
        XCTAssertEqual(try get(self.tern.port, "/big").body.count, 4096)
        XCTAssertEqual(self.origin.requestCount, 2)
    }

    func testBypassRouteAndCacheDisabled() throws {
        try self.start({ _ in .ok("x", headers: [("Cache-Control", "max-age=60")]) }, route: """
                cache:
                  bypass: true
            """.replacingOccurrences(of: "    cache", with: "    cache"))
        _ = try get(self.tern.port, "/b")
        let second = try get(self.tern.port, "/b")
        XCTAssertEqual(self.origin.requestCount, 2)
        XCTAssertTrue(second.header("Cache-Status")?.contains("fwd=bypass") ?? false, second.header("Cache-Status") ?? "-")
    }
}

/// A thread-safe counter for origin handlers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { self.lock.withLock { self.value += 1; return self.value } }
}
