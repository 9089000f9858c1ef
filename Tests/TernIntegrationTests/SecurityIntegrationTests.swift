import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// ACLs, rate limits, client identity, PROXY protocol and the WAF through the real server.
final class SecurityIntegrationTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!

    override func setUpWithError() throws {
        self.origin = try TestOrigin.start { request in .ok("origin saw \(request.method) \(request.uri) \(request.bodyString)") }
    }

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    private func start(_ extra: String, routes: String? = nil, listenerExtra: String = "") throws {
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
              enabled: false
            origins:
              app:
                members: ["\(self.origin.url)"]
            routes:
            \(routes ?? "  - path: /\n    origin: app")
            \(extra)
            """)
    }

    func testWAFBlocksAttacksAndPassesBenignTraffic() throws {
        try self.start("""
            waf:
              mode: on
            """, routes: """
              - path: /
                origin: app
              - path: /static
                origin: app
                waf:
                  mode: off
            """)
        let benign = try get(self.tern.port, "/search?q=summer+shoes&page=2", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")])
        XCTAssertEqual(benign.status, 200, benign.bodyString)
        let attack = try get(self.tern.port, "/item?id=1%27%20OR%20%271%27%3D%271", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")])
        XCTAssertEqual(attack.status, 403)
        XCTAssertTrue(attack.bodyString.contains("Request ID:"), attack.bodyString)
        XCTAssertNotNil(attack.header("X-Request-Id"))
        let xss = try get(self.tern.port, "/p?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")])
        XCTAssertEqual(xss.status, 403)
        XCTAssertEqual(self.origin.requests.filter { $0.uri.hasPrefix("/item") || $0.uri.hasPrefix("/p?") }.count, 0, "blocked requests never reach the origin")
        // A route with the WAF off lets the same request through.
        XCTAssertEqual(try get(self.tern.port, "/static/x?id=1%27%20OR%20%271%27%3D%271", headers: [("User-Agent", "Mozilla/5.0")]).status, 200)
        XCTAssertGreaterThanOrEqual(self.tern.proxy.runtime.security?.wafBlocksByRule["949110"] ?? 0, 2)

        // Bodies are inspected before anything is forwarded.
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        let evil = "comment=1%27%20UNION%20SELECT%20password%20FROM%20users--"
        try client.send("POST /form HTTP/1.1\r\nHost: t\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(evil.utf8.count)\r\n\r\n\(evil)")
        XCTAssertEqual(try client.readResponse().status, 403)
        let fine = "name=Ada&message=Hello+there"
        try client.send("POST /form HTTP/1.1\r\nHost: t\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(fine.utf8.count)\r\n\r\n\(fine)")
        let passed = try client.readResponse()
        XCTAssertEqual(passed.status, 200)
        XCTAssertEqual(passed.bodyString, "origin saw POST /form \(fine)", "the buffered body reaches the origin intact")
    }

    /// Requests Tern refuses before the WAF (parser errors, CONNECT, an empty Host) keep their
    /// 400/405 but are still judged by the WAF for the audit log (outcome `refused`).
    func testRefusedRequestsReachTheAuditLogOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-refused-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let audit = dir.appendingPathComponent("audit.jsonl").path
        try self.start("""
            waf:
              mode: on
              audit_log: "\(audit)"
            """)
        let cases: [(raw: String, status: Int, rule: Int)] = [
            ("TEST / HTTP/1.1\r\nHost: t\r\nX-Tern-Test-Id: method\r\n\r\n", 400, 911_100),   // parser: unknown method
            ("GET / HTTP/3.0\r\nHost: t\r\nX-Tern-Test-Id: version\r\n\r\n", 400, 920_430),  // parser: bad version
            ("CONNECT www.example.com:80 HTTP/1.1\r\nHost: t\r\nX-Tern-Test-Id: connect\r\n\r\n", 405, 911_100),
            ("GET / HTTP/1.1\r\nHost: \r\nX-Tern-Test-Id: empty-host\r\n\r\n", 400, 920_290),
        ]
        for c in cases {
            let client = try RawHTTPClient(port: self.tern.port)
            defer { client.close() }
            try client.send(c.raw)
            XCTAssertEqual(try client.readResponse().status, c.status, c.raw.debugDescription)
        }
        // Lines are written off the request path: wait (bounded) for all four.
        var records: [String: [String: Any]] = [:]
        for _ in 0..<100 where records.count < cases.count {
            self.tern.proxy.runtime.security?.waf?.flushAuditLog()
            let text = (try? String(contentsOfFile: audit, encoding: .utf8)) ?? ""
            for line in text.split(separator: "\n") {
                if let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = object["test_id"] as? String {
                    records[id] = object
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        for (c, id) in zip(cases, ["method", "version", "connect", "empty-host"]) {
            let record = try XCTUnwrap(records[id], "no audit line for \(id)")
            XCTAssertEqual(record["outcome"] as? String, "refused", id)
            XCTAssertEqual(record["status"] as? Int, c.status, id)
            XCTAssertTrue((record["rule_ids"] as? [Int] ?? []).contains(c.rule), "\(id): \(record["rule_ids"] ?? "-")")
        }
        XCTAssertTrue(self.origin.requests.isEmpty, "refused requests never reach the origin")
        XCTAssertTrue(self.tern.proxy.runtime.security?.wafBlocksByRule.isEmpty ?? false, "refusals are not counted as WAF blocks")
    }

    /// Phase 3: a response is held until the engine has judged its head; a rule on a response header
    /// replaces it with the block page. Passed responses (also large, streamed ones) arrive intact.
    func testPhase3JudgesResponseHeaders() throws {
        self.origin.stop()
        self.origin = try TestOrigin.start { request in
            switch request.uri {
            case "/leak": return .ok("secret stuff", headers: [("X-Leak", "secret")])
            case "/big": return .generated(totalBytes: 3 << 20, useContentLength: false)
            default: return .ok("fine \(request.uri)")
            }
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-phase3-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/modsecurity")
        for name in ["modsecurity.conf.template", "crs-setup.conf.template"] {
            var text = try String(contentsOf: shipped.appendingPathComponent(name), encoding: .utf8)
            if name.hasPrefix("modsecurity") {
                text += "\nSecRule RESPONSE_HEADERS:X-Leak \"@streq secret\" \"id:10001,phase:3,deny,status:403,log,msg:'leak'\"\n"
            }
            try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try self.start("""
            waf:
              mode: on
              config_dir: "\(dir.path)"
            """)
        let browser = [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]
        let fine = try get(self.tern.port, "/ok", headers: browser)
        XCTAssertEqual(fine.status, 200)
        XCTAssertEqual(fine.bodyString, "fine /ok")
        let blocked = try get(self.tern.port, "/leak", headers: browser)
        XCTAssertEqual(blocked.status, 403, blocked.bodyString)
        XCTAssertTrue(blocked.bodyString.contains("Response blocked"), blocked.bodyString)
        XCTAssertFalse(blocked.bodyString.contains("secret"), "the origin's body never reaches the client")
        XCTAssertEqual(blocked.header("Connection"), "close")
        XCTAssertEqual(self.tern.proxy.runtime.security?.wafBlocksByRule["10001"], 1)

        // HEAD: the block page's head only; then a 3 MiB chunked body streamed through the gate.
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("HEAD /leak HTTP/1.1\r\nHost: t\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n\r\n")
        let head = try client.readResponse(forMethod: "HEAD")
        XCTAssertEqual(head.status, 403)
        XCTAssertTrue(head.body.isEmpty)
        let big = try get(self.tern.port, "/big", headers: browser)
        XCTAssertEqual(big.status, 200)
        XCTAssertEqual(big.body.count, 3 << 20)
        XCTAssertEqual(big.body, TestResponse.patternBytes(count: 3 << 20), "the held body arrives intact")

        // Pipelined: responses held for phase 3 still leave in request order.
        let pipelined = try RawHTTPClient(port: self.tern.port)
        defer { pipelined.close() }
        try pipelined.send((1...3).map { "GET /p\($0) HTTP/1.1\r\nHost: t\r\nUser-Agent: Mozilla/5.0\r\nAccept: text/html\r\n\r\n" }.joined())
        for index in 1...3 {
            let response = try pipelined.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.bodyString, "fine /p\(index)")
        }
    }

    func testDetectionOnlyCountsButPasses() throws {
        try self.start("""
            waf:
              mode: detection_only
            """)
        let attack = try get(self.tern.port, "/item?id=1%27%20OR%20%271%27%3D%271", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")])
        XCTAssertEqual(attack.status, 200)
        XCTAssertGreaterThanOrEqual(self.tern.proxy.runtime.security?.wafDetections.load(ordering: .relaxed) ?? 0, 1)
    }

    func testRateLimitAdmitsBurstThen429() throws {
        try self.start("""
            rate_limits:
              api:
                rate: "1r/s:3"
            """, routes: """
              - path: /
                origin: app
                rate_limits: [api]
            """)
        var statuses: [Int] = []
        var limited: RawResponse?
        for _ in 0..<5 {
            let response = try get(self.tern.port, "/r")
            statuses.append(response.status)
            if response.status == 429 { limited = response }
        }
        XCTAssertEqual(statuses, [200, 200, 200, 429, 429])
        let response = try XCTUnwrap(limited)
        XCTAssertNotNil(response.header("Retry-After"))
        XCTAssertTrue(response.header("RateLimit-Policy")?.contains("\"api\"") ?? false, response.header("RateLimit-Policy") ?? "-")
        XCTAssertNotNil(response.header("RateLimit"))
        XCTAssertEqual(self.tern.proxy.runtime.security?.rateLimitRejections["api"], 2)
    }

    func testAccessListsUseTheClientIdentity() throws {
        try self.start("""
            proxy:
              trusted_proxies: [127.0.0.1/32]
            access:
              deny: [203.0.113.0/24]
            """)
        XCTAssertEqual(try get(self.tern.port, "/a").status, 200)
        XCTAssertEqual(try get(self.tern.port, "/a", headers: [("X-Forwarded-For", "203.0.113.7")]).status, 403,
                       "behind a trusted proxy the right-most untrusted X-Forwarded-For address is the client")
        XCTAssertEqual(try get(self.tern.port, "/a", headers: [("X-Forwarded-For", "203.0.113.7, 198.51.100.2")]).status, 200)
        XCTAssertEqual(self.tern.proxy.runtime.security?.aclDenials.load(ordering: .relaxed), 1)
    }

    func testSpoofedForwardedForFromUntrustedPeerIsIgnored() throws {
        try self.start("""
            access:
              allow: [198.51.100.0/24]
            """)
        XCTAssertEqual(try get(self.tern.port, "/a", headers: [("X-Forwarded-For", "198.51.100.9")]).status, 403)
    }

    func testProxyProtocolAnnouncesTheClient() throws {
        try self.start("", listenerExtra: "    proxy_protocol: true\n    access:\n      deny: [192.0.2.0/24]")
        let allowed = try RawHTTPClient(port: self.tern.port)
        defer { allowed.close() }
        try allowed.send("PROXY TCP4 198.51.100.1 127.0.0.1 5000 80\r\nGET /pp HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try allowed.readResponse().status, 200)
        XCTAssertEqual(self.origin.lastRequest?.header("X-Forwarded-For"), "198.51.100.1")
        let denied = try RawHTTPClient(port: self.tern.port)
        defer { denied.close() }
        try denied.send("PROXY TCP4 192.0.2.50 127.0.0.1 5000 80\r\nGET /pp HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(try denied.readResponse().status, 403)
        let garbage = try RawHTTPClient(port: self.tern.port)
        defer { garbage.close() }
        try garbage.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertTrue(garbage.isClosedByPeer(within: 2), "a connection without a PROXY header is closed")
    }
}
