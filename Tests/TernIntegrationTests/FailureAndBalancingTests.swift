import Atomics
import NIOCore
import TernServer
import TernTesting
import XCTest

/// Origin failures (502/504/503), retries, failover and balancing through real sockets.
final class FailureAndBalancingTests: XCTestCase {
    var origins: [TestOrigin] = []
    var tern: TernServer!

    override func tearDown() {
        self.tern?.shutdown()
        for origin in self.origins { origin.stop() }
    }

    func testConnectionRefusedIs502WithoutBackendDetails() throws {
        let deadPort = try TestPorts.freeLoopbackPort()
        self.tern = try startTern(proxyYAML(members: ["http://127.0.0.1:\(deadPort)"]))
        let response = try get(self.tern.port, "/")
        XCTAssertEqual(response.status, 502)
        XCTAssertFalse(response.bodyString.contains("127.0.0.1"), "the error body must not reveal the backend")
        XCTAssertFalse(response.bodyString.contains(String(deadPort)))
    }

    func testFirstByteTimeoutIs504() throws {
        let origin = try TestOrigin.start { _ in .performing(.hang) }
        self.origins = [origin]
        self.tern = try startTern(proxyYAML(members: [origin.url], extraPool: """
                timeouts:
                  first_byte: 300ms
            """))
        let started = Date()
        let response = try get(self.tern.port, "/")
        XCTAssertEqual(response.status, 504)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    func testInvalidResponseIs502() throws {
        let origin = try TestOrigin.start { _ in .performing(.invalidResponse) }
        self.origins = [origin]
        self.tern = try startTern(proxyYAML(members: [origin.url], extraPool: "    retry: false"))
        XCTAssertEqual(try get(self.tern.port, "/").status, 502)
    }

    func testTruncatedOriginBodyAbortsClientConnection() throws {
        let origin = try TestOrigin.start { _ in .performing(.abortAfterBodyBytes(1000), body: TestResponse.patternBytes(count: 100_000)) }
        self.origins = [origin]
        self.tern = try startTern(proxyYAML(members: [origin.url]))
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertThrowsError(try client.readResponse(), "a truncated body must never look complete") { error in
            guard case RawHTTPClientError.closedBeforeCompleteResponse = error else {
                return XCTFail("expected an early close, got \(error)")
            }
        }
    }

    func testStaleKeepAliveConnectionIsRetriedTransparently() throws {
        // The origin closes every connection after answering (without saying so): the pooled
        // connection is dead when reused, and the request must be retried on a fresh one.
        let origin = try TestOrigin.start { _ in
            var response = TestResponse.ok("fine")
            response.keepAlive = false
            return response
        }
        self.origins = [origin]
        self.tern = try startTern(proxyYAML(members: [origin.url]))
        for _ in 0..<20 {
            XCTAssertEqual(try get(self.tern.port, "/").status, 200)
        }
    }

    func testWeightedRoundRobinSplits3To1() throws {
        let a = try TestOrigin.start { _ in .ok("a") }
        let b = try TestOrigin.start { _ in .ok("b") }
        self.origins = [a, b]
        self.tern = try startTern("""
            \(testListenerYAML)
            origins:
              app:
                balance: round_robin
                members:
                  - url: \(a.url)
                    weight: 3
                  - url: \(b.url)
                    weight: 1
            routes:
              - path: /
                origin: app
            """)
        var counts = ["a": 0, "b": 0]
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        let batch = 100
        for _ in 0..<(10_000 / batch) {
            try client.send(String(repeating: "GET / HTTP/1.1\r\nHost: t\r\n\r\n", count: batch))
            for _ in 0..<batch { counts[try client.readResponse().bodyString, default: 0] += 1 }
        }
        let share = Double(counts["a"]!) / 10_000
        XCTAssertEqual(share, 0.75, accuracy: 0.02, "counts: \(counts)")
        XCTAssertEqual(a.requestCount + b.requestCount, 10_000)
    }

    func testFailoverWhenAMemberDies() throws {
        let a = try TestOrigin.start { _ in .ok("a") }
        let b = try TestOrigin.start { _ in .ok("b") }
        self.origins = [a, b]
        self.tern = try startTern(proxyYAML(members: [a.url, b.url], extraPool: """
                passive_health:
                  max_failures: 1
                  cooldown: 30s
            """))
        for _ in 0..<10 { XCTAssertEqual(try get(self.tern.port, "/").status, 200) }
        b.stop()
        // Idempotent requests that fail to connect are retried on the other member, and the
        // dead member is ejected: no request fails.
        var statuses: [Int] = []
        for _ in 0..<50 { statuses.append(try get(self.tern.port, "/").status) }
        XCTAssertEqual(statuses.filter { $0 != 200 }.count, 0, "statuses: \(statuses)")
        XCTAssertGreaterThanOrEqual(a.requestCount, 55)
    }

    func testAllMembersDownGives503WithRetryAfter() throws {
        // Passive checks never eject a pool's last available member (issue 13), so "no member
        // available" comes from active checks: both members fail their probes.
        let dead1 = try TestPorts.freeLoopbackPort()
        let dead2 = try TestPorts.freeLoopbackPort()
        self.tern = try startTern(proxyYAML(members: ["http://127.0.0.1:\(dead1)", "http://127.0.0.1:\(dead2)"], extraPool: """
                passive_health:
                  max_failures: 1
                  cooldown: 30s
                health_check:
                  path: /health
                  interval: 100ms
                  timeout: 50ms
                  rise: 1
                  fall: 1
            """))
        let members = self.tern.proxy.runtime.pools[0].members
        XCTAssertTrue(waitUntil(timeout: 5) { members.allSatisfy { !$0.isAvailableForStats(now: .now()) } })
        let response = try get(self.tern.port, "/")
        XCTAssertEqual(response.status, 503)
        XCTAssertNotNil(response.header("Retry-After"))
    }

    func testAllMembersFailingPassivelyKeepsTheLastOneInService() throws {
        let dead1 = try TestPorts.freeLoopbackPort()
        let dead2 = try TestPorts.freeLoopbackPort()
        self.tern = try startTern(proxyYAML(members: ["http://127.0.0.1:\(dead1)", "http://127.0.0.1:\(dead2)"], extraPool: """
                passive_health:
                  max_failures: 1
                  cooldown: 30s
            """))
        XCTAssertEqual(try get(self.tern.port, "/").status, 502)  // both tried: one ejected, the last one kept
        XCTAssertEqual(try get(self.tern.port, "/").status, 502, "the last member is still tried, not refused with 503")
        let members = self.tern.proxy.runtime.pools[0].members
        XCTAssertEqual(members.filter { $0.isAvailableForStats(now: .now()) }.count, 1)
        XCTAssertEqual(members.map { $0.ejections.withLockedValue { $0["connect"] ?? 0 } }.reduce(0, +), 1)
        XCTAssertGreaterThanOrEqual(members.map { $0.ejectionsSuppressed.withLockedValue { $0["connect"] ?? 0 } }.reduce(0, +), 2)
    }

    func testActiveHealthCheckTakesMemberOutAndBack() throws {
        let healthy = ManagedFlag(true)
        let a = try TestOrigin.start { request in
            if request.uri == "/health" { return healthy.value ? .ok("up") : .status(503) }
            return .ok("a")
        }
        let b = try TestOrigin.start { _ in .ok("b") }
        self.origins = [a, b]
        self.tern = try startTern(proxyYAML(members: [a.url, b.url], extraPool: """
                health_check:
                  path: /health
                  interval: 100ms
                  timeout: 50ms
                  rise: 1
                  fall: 1
            """))
        healthy.value = false
        XCTAssertTrue(waitUntil(timeout: 5) { a.requests.filter { $0.uri == "/health" }.count >= 3 })
        Thread.sleep(forTimeInterval: 0.2)
        let bodies = try (0..<10).map { _ in try get(self.tern.port, "/").bodyString }
        XCTAssertEqual(Set(bodies), ["b"], "an unhealthy member gets no traffic")
        healthy.value = true
        XCTAssertTrue(waitUntil(timeout: 5) {
            (try? (0..<4).map { _ in try RawHTTPClient.get(port: self.tern.port, path: "/").bodyString }.contains("a")) ?? false
        }, "a recovered member gets traffic again")
    }
}

/// A thread-safe boolean for origin handlers.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Bool
    init(_ value: Bool) { self._value = value }
    var value: Bool {
        get { self.lock.withLock { self._value } }
        set { self.lock.withLock { self._value = newValue } }
    }
}
