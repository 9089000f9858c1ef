import NIOCore
import TernServer
import TernTesting
import XCTest

/// Forwarding semantics (RFC 9110 §7.6), keep-alive reuse, pipelining, bodies.
final class ProxyForwardingTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    func testForwardsRequestAndResponseAndRewritesHeaders() throws {
        self.origin = try TestOrigin.start { request in
            .ok("hello \(request.uri)", headers: [
                ("Server", "secret-backend/1.0"), ("X-Powered-By", "PHP/5"),
                ("Connection", "X-Internal"), ("X-Internal", "leak"), ("Keep-Alive", "timeout=5"),
                ("X-App", "yes"),
            ])
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        let response = try get(self.tern.port, "/greet?x=1", headers: [
            ("Connection", "X-Secret"), ("X-Secret", "1"), ("TE", "trailers"), ("Proxy-Connection", "keep-alive"),
            ("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-Host", "evil.example"), ("Host", "Site.Example:8080"),
        ])
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyString, "hello /greet?x=1")
        XCTAssertNil(response.header("Server"), "backend identity must be hidden")
        XCTAssertNil(response.header("X-Powered-By"))
        XCTAssertNil(response.header("X-Internal"), "fields named by Connection are hop-by-hop")
        XCTAssertNil(response.header("Keep-Alive"))
        XCTAssertEqual(response.header("X-App"), "yes")
        XCTAssertEqual(response.header("Via"), "1.1 tern")

        let seen = try XCTUnwrap(self.origin.lastRequest)
        XCTAssertEqual(seen.method, "GET")
        XCTAssertEqual(seen.uri, "/greet?x=1")
        XCTAssertNil(seen.header("X-Secret"))
        XCTAssertNil(seen.header("TE"))
        XCTAssertNil(seen.header("Proxy-Connection"))
        XCTAssertEqual(seen.header("X-Forwarded-For"), "127.0.0.1", "an untrusted peer's X-Forwarded-For is replaced")
        XCTAssertEqual(seen.header("X-Forwarded-Host"), "site.example:8080")
        XCTAssertEqual(seen.header("X-Forwarded-Proto"), "http")
        XCTAssertEqual(seen.header("Host"), "site.example:8080", "Host is preserved by default, in its canonical spelling (the one the key holds)")
        XCTAssertEqual(seen.header("Via"), "1.1 tern")
    }

    func testTrustedProxyChainIsExtendedAndForwardedAdded() throws {
        self.origin = try TestOrigin.start { _ in .ok("ok") }
        self.tern = try startTern(proxyYAML(members: [self.origin.url], extraTop: """
            proxy:
              trusted_proxies: [127.0.0.0/8]
              forwarded: true
            """))
        _ = try get(self.tern.port, "/", headers: [("X-Forwarded-For", "203.0.113.9"), ("X-Forwarded-Proto", "https")])
        let seen = try XCTUnwrap(self.origin.lastRequest)
        XCTAssertEqual(seen.header("X-Forwarded-For"), "203.0.113.9, 127.0.0.1")
        XCTAssertEqual(seen.header("X-Forwarded-Proto"), "https")
        XCTAssertEqual(seen.header("Forwarded"), "for=127.0.0.1;proto=http;host=\"127.0.0.1:\(self.tern.port)\"")
    }

    func testHostHeaderRewrittenToOrigin() throws {
        self.origin = try TestOrigin.start { _ in .ok("ok") }
        self.tern = try startTern(proxyYAML(members: [self.origin.url], extraPool: "    host_header: origin"))
        _ = try get(self.tern.port, "/", headers: [("Host", "public.example")])
        XCTAssertEqual(self.origin.lastRequest?.header("Host"), "127.0.0.1:\(self.origin.port)")
        XCTAssertEqual(self.origin.lastRequest?.header("X-Forwarded-Host"), "public.example")
    }

    func testMemberBasePathAndAbsoluteFormTarget() throws {
        self.origin = try TestOrigin.start { request in .ok(request.uri) }
        self.tern = try startTern(proxyYAML(members: ["\(self.origin.url)/base"]))
        XCTAssertEqual(try get(self.tern.port, "/x?y=1").bodyString, "/base/x?y=1")
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("GET http://Abs.Example/p?q HTTP/1.1\r\nHost: ignored.example\r\n\r\n")
        XCTAssertEqual(try client.readResponse().bodyString, "/base/p?q", "absolute-form becomes origin-form upstream")
        XCTAssertEqual(self.origin.lastRequest?.header("Host"), "abs.example", "the target's (canonical) authority replaces Host (RFC 9112 §3.2.2)")
    }

    func testKeepAliveReusesOneUpstreamConnection() throws {
        self.origin = try TestOrigin.start { request in .ok("n=\(request.uri)") }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        // Sequential requests over several client connections: one upstream connection serves all.
        for batch in 0..<5 {
            let client = try RawHTTPClient(port: self.tern.port)
            defer { client.close() }
            for i in 0..<20 {
                try client.send("GET /\(batch)-\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try client.readResponse()
                XCTAssertEqual(response.bodyString, "n=/\(batch)-\(i)")
            }
        }
        XCTAssertEqual(self.origin.requestCount, 100)
        XCTAssertEqual(self.origin.connectionsAccepted, 1, "upstream keep-alive must reuse the connection")
        XCTAssertEqual(try self.tern.proxy.upstreamConnectionsOpened(), 1)
    }

    func testPipelinedRequestsAnsweredInOrder() throws {
        self.origin = try TestOrigin.start { request in
            // Later requests answer faster: order must still be preserved.
            let delay: TimeAmount = request.uri == "/1" ? .milliseconds(100) : .zero
            return TestResponse.ok("r\(request.uri)").delayed(by: delay)
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send((1...5).map { "GET /\($0) HTTP/1.1\r\nHost: t\r\n\r\n" }.joined())
        for i in 1...5 {
            XCTAssertEqual(try client.readResponse().bodyString, "r/\(i)")
        }
    }

    func testPostBodiesChunkedAndFixedAndExpectContinue() throws {
        self.origin = try TestOrigin.start { request in
            .ok("\(request.method) \(request.body.count) \(request.bodyString.prefix(5))")
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("POST /a HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world")
        XCTAssertEqual(try client.readResponse().bodyString, "POST 11 hello")
        try client.send("PUT /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n3\r\nfgh\r\n0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().bodyString, "PUT 8 abcde")
        try client.send("POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        XCTAssertEqual(interim.status, 100)
        try client.send("data")
        XCTAssertEqual(try client.readResponse().bodyString, "POST 4 data")
        XCTAssertNil(self.origin.lastRequest?.header("Expect"), "this hop answers 100-continue itself")
    }

    func testHTTP10ClientAndHead() throws {
        self.origin = try TestOrigin.start { request in
            if request.method == "HEAD" { return .ok("", headers: [("Content-Length", "10")]) }
            if request.uri == "/chunked" {
                return .chunked(["ab", "cd"])
            }
            return .ok("0123456789")
        }
        self.tern = try startTern(proxyYAML(members: [self.origin.url]))
        // HTTP/1.0 without keep-alive: close after the response; a chunked origin body is de-chunked.
        let client = try RawHTTPClient(port: self.tern.port)
        try client.send("GET /chunked HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.version, "HTTP/1.0")
        XCTAssertEqual(response.bodyString, "abcd")
        XCTAssertNil(response.header("Transfer-Encoding"))
        XCTAssertTrue(client.isClosedByPeer(within: 2))
        client.close()

        let head = try RawHTTPClient(port: self.tern.port)
        defer { head.close() }
        try head.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n")
        let headResponse = try head.readResponse(forMethod: "HEAD")
        XCTAssertEqual(headResponse.status, 200)
        XCTAssertEqual(headResponse.header("Content-Length"), "10")
        XCTAssertTrue(headResponse.body.isEmpty)
        // The connection is still usable after a HEAD (no stray body bytes).
        try head.send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try head.readResponse().bodyString, "0123456789")
    }

    func testLongestPrefixRouting() throws {
        self.origin = try TestOrigin.start { _ in .ok("main") }
        let api = try TestOrigin.start { _ in .ok("api") }
        defer { api.stop() }
        self.tern = try startTern("""
            \(testListenerYAML)
            origins:
              main:
                members: ["\(self.origin.url)"]
              api:
                members: ["\(api.url)"]
            routes:
              - path: /
                origin: main
              - path: /api
                origin: api
            """)
        XCTAssertEqual(try get(self.tern.port, "/api/users").bodyString, "api")
        XCTAssertEqual(try get(self.tern.port, "/api").bodyString, "api")
        XCTAssertEqual(try get(self.tern.port, "/apiary").bodyString, "main", "prefixes match whole path segments")
        XCTAssertEqual(try get(self.tern.port, "/").bodyString, "main")
    }
}
