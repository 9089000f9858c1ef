import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// Issue 12: routing, access lists, the cache key and the request sent upstream see one spelling of
/// each request. Every reproduction from the issue is a test here.
final class CanonicalRequestIntegrationTests: XCTestCase {
    var originA: TestOrigin!
    var originB: TestOrigin!
    var tern: TernServer!

    override func setUpWithError() throws {
        self.originA = try TestOrigin.start { request in
            if request.uri.hasPrefix("/vary") {
                return .ok("A \(request.uri) v=\(request.header("X-V") ?? "-")", headers: [("Cache-Control", "max-age=3600"), ("Vary", "X-V")])
            }
            return .ok("A \(request.uri)", headers: [("Cache-Control", "max-age=3600")])
        }
        self.originB = try TestOrigin.start { request in
            .ok("B \(request.uri)", headers: [("Cache-Control", "max-age=3600")])
        }
    }

    override func tearDown() {
        self.tern?.shutdown()
        self.originA?.stop()
        self.originB?.stop()
    }

    private func start(routes: String, cache: Bool = true, cacheExtra: String = "", extra: String = "", listenerExtra: String = "") throws {
        self.tern = try startTern("""
            listeners:
              - address: 127.0.0.1:0
            \(listenerExtra)
            logging:
              access:
                path: "off"
            workers: 1
            shutdown_timeout: 2s
            cache:
              enabled: \(cache)
            \(cacheExtra)
            origins:
              a:
                members: ["\(self.originA.url)"]
              b:
                members: ["\(self.originB.url)"]
            routes:
            \(routes)
            \(extra)
            """)
    }

    /// Sends one raw request on its own connection and reads the answer.
    private func raw(_ request: String) throws -> RawResponse {
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send(request)
        return try client.readResponse()
    }

    private func get(_ target: String, host: String = "h", headers: String = "") throws -> RawResponse {
        try self.raw("GET \(target) HTTP/1.1\r\nHost: \(host)\r\n\(headers)Connection: close\r\n\r\n")
    }

    // MARK: Route ACL bypass (high)

    /// 30+ spellings of a path under a denied route: none reaches the origin (nginx refuses the same).
    func testNoSpellingOfADeniedPathReachesTheOrigin() throws {
        try self.start(routes: """
              - path: /private
                origin: a
                access:
                  deny: [0.0.0.0/0, "::/0"]
              - path: /
                origin: a
            """, cache: false)
        let spellings = [
            "/private/s", "//private/s", "///private/s", "/./private/s", "/x/../private/s", "/%70rivate/s", "/%2e/private/s",
            "/%2E/private/s", "/%2e%2E/private/s", "/private/./s", "/private//s", "/private/s/.", "/private/s/..",
            "/private/x/../s", "/%70%72%69%76%61%74%65/s", "/a/b/../../private/s", "/.//private/s", "/x/%2e%2e/private/s",
            "/x/.%2e/private/s", "/x/%2E./private/s", "/private%2Fs", "/private%2fs", "/x%2F..%2Fprivate/s",
            "/x/..%2Fprivate/s", "/%2fprivate/s", "/private%5Cs", "/x%5C..%5Cprivate/s", "/private/%2e/s", "/../private/s",
            "/private", "/private/", "/%70rivate", "/private/s?x=../", "/%2e/%70rivate/./s", "/pr%69vate/s", "/priv%61te/./s",
            "http://h/private/s", "http://h//private/s", "http://H:80/%70rivate/s", "http://h/x/../private/s",
        ]
        XCTAssertGreaterThanOrEqual(spellings.count, 30)
        for spelling in spellings {
            let response = try self.get(spelling)
            XCTAssertTrue([400, 403].contains(response.status), "\(spelling) → \(response.status) \(response.bodyString)")
        }
        XCTAssertEqual(self.originA.requests.filter { $0.uri.lowercased().contains("priv") }.count, 0,
                       "reached the origin: \(self.originA.requests.map(\.uri))")
        // Equivalent spellings of an open path reach the origin, in the canonical spelling.
        XCTAssertEqual(try self.get("/x/../public/%7Ea").bodyString, "A /public/~a")
        XCTAssertEqual(try self.get("//public//b?q=%7e").bodyString, "A /public/b?q=~")
        XCTAssertEqual(try self.get("/privateer").status, 200, "a prefix matches on segment boundaries only")
    }

    // MARK: Cross-route cache poisoning (high)

    func testASpellingCannotFillAnotherRoutesEntry() throws {
        try self.start(routes: """
              - path: /private
                origin: b
              - path: /
                origin: a
            """)
        let first = try self.get("/%70rivate/x?t=1")
        XCTAssertEqual(first.bodyString, "B /private/x?t=1", "routed by its canonical path")
        let second = try self.get("/private/x?t=1")
        XCTAssertEqual(second.bodyString, "B /private/x?t=1")
        XCTAssertTrue(second.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, second.header("Cache-Status") ?? "-")
        XCTAssertEqual(self.originA.requestCount, 0, "origin A never answers for /private")
        XCTAssertEqual(self.originB.requestCount, 1)
    }

    // MARK: Hosts (medium)

    func testInvalidHostsAreRefusedAndNeverKeyed() throws {
        try self.start(routes: "  - path: /\n    origin: a")
        for host in ["h/evil", "h, evil", "u@h", "h:abc", "h:99999", "h%2fevil", "[::1", "a..b"] {
            XCTAssertEqual(try self.get("/x?t=1", host: host).status, 400, host)
        }
        XCTAssertEqual(try self.raw("GET http://u@h/x?t=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").status, 400)
        XCTAssertEqual(self.originA.requestCount, 0)
        // `GET /evil/x` on host h is its own object, whatever was asked before.
        let evil = try self.get("/evil/x?t=1")
        XCTAssertTrue(evil.header("Cache-Status")?.contains("fwd=") ?? false, "a miss: \(evil.header("Cache-Status") ?? "-")")
        XCTAssertEqual(self.originA.requestCount, 1)
    }

    /// The key folds `H`, `h.` and `h:80` into `h`, and that is the Host the origin is sent.
    func testKeyHostIsTheForwardedHost() throws {
        try self.start(routes: "  - path: /\n    origin: a")
        for (host, expected) in [("H", "h"), ("h.", "h"), ("h:80", "h"), ("H.:80", "h"), ("h:8080", "h:8080"), ("[0::1]:80", "[::1]")] {
            _ = try self.get("/k-\(expected.count)?v=\(host.count)", host: host)
            XCTAssertEqual(self.originA.lastRequest?.header("Host"), expected, host)
        }
        // Three spellings of one host share one entry.
        _ = try self.get("/same", host: "H.")
        XCTAssertTrue(try self.get("/same", host: "h:80").header("Cache-Status")?.hasPrefix("tern; hit") ?? false)
        XCTAssertTrue(try self.get("/same", host: "h").header("Cache-Status")?.hasPrefix("tern; hit") ?? false)
        XCTAssertEqual(self.originA.requests.filter { $0.uri == "/same" }.count, 1)
    }

    /// `Connection: Host` does not strip Host (nor any other end-to-end field Tern reads).
    func testConnectionCannotNameEndToEndFields() throws {
        try self.start(routes: "  - path: /\n    origin: a")
        let response = try self.get("/hh", host: "victim.example", headers: "Connection: Host, Cache-Control, Authorization, X-Drop\r\nX-Drop: 1\r\n")
        XCTAssertEqual(response.status, 200)
        let seen = try XCTUnwrap(self.originA.lastRequest)
        XCTAssertEqual(seen.header("Host"), "victim.example")
        XCTAssertNil(seen.header("X-Drop"), "a real connection option is still removed")
    }

    // MARK: Framing and fields (lower)

    func testTransferCodingsOtherThanChunkedAreRefused() throws {
        try self.start(routes: "  - path: /\n    origin: a", cache: false)
        XCTAssertEqual(try self.raw("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").status, 501)
        XCTAssertEqual(try self.raw("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").status, 400)
        XCTAssertEqual(try self.raw("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n").status, 200)
        XCTAssertEqual(self.originA.requestCount, 1)
    }

    func testUnderscoreFieldsAreDroppedAndUnkeyedOverridesStripped() throws {
        try self.start(routes: "  - path: /\n    origin: a", cache: false)
        let response = try self.get("/f", headers: """
            Transfer_Encoding: chunked\r
            X_Forwarded_For: 6.6.6.6\r
            X-Original-URL: /admin\r
            X-Rewrite-URL: /admin\r
            X-HTTP-Method-Override: DELETE\r
            X-Forwarded-Scheme: https\r
            X-Forwarded-Port: 443\r
            X-Host: evil.example\r
            X-Kept: yes\r

            """)
        XCTAssertEqual(response.status, 200)
        let seen = try XCTUnwrap(self.originA.lastRequest)
        for name in ["Transfer_Encoding", "X_Forwarded_For", "X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override",
                     "X-Forwarded-Scheme", "X-Forwarded-Port", "X-Host"] {
            XCTAssertNil(seen.header(name), name)
        }
        XCTAssertEqual(seen.header("X-Kept"), "yes")
    }

    func testRouteCanKeepOverrideFieldsAndListenerCanRejectUnderscores() throws {
        try self.start(routes: """
              - path: /
                origin: a
                strip_request_fields: [x-secret-debug]
            """, cache: false, extra: "limits:\n  underscores_in_headers: reject")
        XCTAssertEqual(try self.get("/u", headers: "X_Y: 1\r\n").status, 400)
        XCTAssertEqual(try self.get("/u", headers: "X-Host: kept.example\r\nX-Secret-Debug: 1\r\n").status, 200)
        XCTAssertEqual(self.originA.lastRequest?.header("X-Host"), "kept.example")
        XCTAssertNil(self.originA.lastRequest?.header("X-Secret-Debug"))
    }

    func testTwoAuthorizationFieldsAreRefused() throws {
        try self.start(routes: "  - path: /\n    origin: a", cache: false)
        XCTAssertEqual(try self.get("/a", headers: "Authorization: Bearer one\r\nAuthorization: Bearer two\r\n").status, 400)
        XCTAssertEqual(self.originA.requestCount, 0)
    }

    func testEncodedSlashPolicyPerListener() throws {
        try self.start(routes: "  - path: /\n    origin: a", cache: false, listenerExtra: "    encoded_slashes: keep")
        XCTAssertEqual(try self.get("/bucket/a%2fb").bodyString, "A /bucket/a%2Fb")
        XCTAssertEqual(try self.get("/bucket/a%00b").status, 400)
    }

    /// Valid requests ahead of a malformed one in the same read are answered, in order; then 400 and close.
    func testPipelinedRequestsBeforeAMalformedOneAreAnswered() throws {
        try self.start(routes: "  - path: /\n    origin: a", cache: false)
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\nGET /three HTTP/1.1\r\nHost h\r\n\r\n")
        XCTAssertEqual(try client.readResponse().bodyString, "A /one")
        XCTAssertEqual(try client.readResponse().bodyString, "A /two")
        let error = try client.readResponse()
        XCTAssertEqual(error.status, 400)
        XCTAssertEqual(error.header("Connection"), "close")
        XCTAssertTrue(client.isClosedByPeer(within: 5))
        XCTAssertEqual(self.originA.requests.map(\.uri), ["/one", "/two"])
    }

    // MARK: Vary flood (medium)

    /// 3,000 values of one `Vary` field keep at most `max_variants` variants of the URL; the newest are
    /// served, the oldest were evicted, and other URLs keep theirs.
    func testVariantsPerURLAreCapped() throws {
        try self.start(routes: "  - path: /\n    origin: a", cacheExtra: "  max_variants: 8")
        _ = try self.get("/other")
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        for index in 0..<3_000 {
            try client.send("GET /vary HTTP/1.1\r\nHost: h\r\nX-V: \(index)\r\n\r\n")
            XCTAssertEqual(try client.readResponse().status, 200)
        }
        let memory = try XCTUnwrap(self.tern.proxy.runtime.cache?.memory)
        XCTAssertEqual(memory.variantEvictions, 3_000 - 8)
        XCTAssertEqual(memory.count, 8 + 1)
        // The newest variant is a hit; the first one was evicted and goes to the origin again.
        let before = self.originA.requestCount
        try client.send("GET /vary HTTP/1.1\r\nHost: h\r\nX-V: 2999\r\n\r\n")
        let newest = try client.readResponse()
        XCTAssertTrue(newest.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, newest.header("Cache-Status") ?? "-")
        XCTAssertEqual(newest.bodyString, "A /vary v=2999")
        XCTAssertEqual(self.originA.requestCount, before)
        try client.send("GET /vary HTTP/1.1\r\nHost: h\r\nX-V: 0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().bodyString, "A /vary v=0")
        XCTAssertEqual(self.originA.requestCount, before + 1)
        XCTAssertTrue(try self.get("/other").header("Cache-Status")?.hasPrefix("tern; hit") ?? false)
    }

    /// The WAF judges what the client sent: a field Tern drops before forwarding (`X_Filename`) is
    /// still seen by CRS rule 933110, and the request is blocked; without the WAF it is merely dropped.
    func testWAFSeesFieldsTernDrops() throws {
        try self.start(routes: "  - path: /\n    origin: a", cache: false, extra: "waf:\n  mode: on")
        let blocked = try self.raw("POST /upload HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nX_Filename: shell.php5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(blocked.status, 403)
        XCTAssertEqual(self.originA.requestCount, 0)
        let passed = try self.raw("GET /page?x=%7e HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(passed.bodyString, "A /page?x=~")
    }
}
