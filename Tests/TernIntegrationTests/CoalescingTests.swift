import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// Request coalescing and read-while-writer (one origin fetch per object).
final class CoalescingTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
    }

    private func start(workers: Int = 2, extraCache: String = "", _ handler: @escaping @Sendable (TestRequest) -> TestResponse) throws {
        self.origin = try TestOrigin.start(handler: handler)
        self.tern = try startTern("""
            listeners:
              - address: 127.0.0.1:0
            logging:
              access:
                path: "off"
            workers: \(workers)
            shutdown_timeout: 2s
            origins:
              app:
                members: ["\(self.origin.url)"]
                connections:
                  max_total: 1024
            routes:
              - path: /
                origin: app
            cache:
              memory: 256MiB
            \(extraCache)
            """)
    }

    /// Opens `count` connections, sends one request on each, then reads every response.
    private func concurrentGets(_ count: Int, path: String) throws -> [Result<RawResponse, any Error>] {
        var clients: [RawHTTPClient] = []
        for _ in 0..<count { clients.append(try RawHTTPClient(port: self.tern.port, timeout: 30)) }
        defer { for client in clients { client.close() } }
        for client in clients {
            try client.send("GET \(path) HTTP/1.1\r\nHost: coalesce.test\r\n\r\n")
        }
        return clients.map { client in Result { try client.readResponse() } }
    }

    func test200ConcurrentColdMissesMakeOneOriginRequest() throws {
        let body = String(repeating: "coalesced body ", count: 1000)
        try self.start { _ in TestResponse.ok(body, headers: [("Cache-Control", "max-age=60")]).delayed(by: .milliseconds(300)) }
        let results = try self.concurrentGets(200, path: "/cold")
        XCTAssertEqual(self.origin.requestCount, 1, "one origin fetch for 200 concurrent misses")
        var collapsed = 0
        for result in results {
            let response = try result.get()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.bodyString, body)
            if response.header("Cache-Status")?.contains("collapsed") ?? false { collapsed += 1 }
        }
        XCTAssertGreaterThanOrEqual(collapsed, 150, "most requests waited on the leader's fetch")
        XCTAssertGreaterThanOrEqual(self.tern.proxy.runtime.stats.cacheCoalesced.load(ordering: .relaxed), 150)
    }

    func testWaitersStreamBeforeTheOriginFinishes() throws {
        let size = 16 << 20
        try self.start {
            _ in .generated(totalBytes: size, chunkSize: 256 << 10, interval: .milliseconds(25), useContentLength: true,
                            headers: [("Cache-Control", "max-age=60")])
        }
        let leader = try RawHTTPClient(port: self.tern.port, timeout: 30)
        defer { leader.close() }
        try leader.send("GET /slow HTTP/1.1\r\nHost: coalesce.test\r\n\r\n")
        XCTAssertTrue(waitUntil(timeout: 5) { self.origin.requestCount == 1 })
        Thread.sleep(forTimeInterval: 0.2)
        // A waiter joins mid-transfer: it gets the head and the bytes so far at once.
        let started = Date()
        let waiter = try RawHTTPClient(port: self.tern.port, timeout: 30)
        defer { waiter.close() }
        try waiter.send("GET /slow HTTP/1.1\r\nHost: coalesce.test\r\nRange: bytes=0-0\r\n\r\n")
        let first = try waiter.readResponse()
        let firstByteAfter = Date().timeIntervalSince(started)
        XCTAssertEqual(first.status, 206)
        XCTAssertEqual(first.body, [0])
        XCTAssertTrue(first.header("Cache-Status")?.contains("collapsed") ?? false, first.header("Cache-Status") ?? "-")
        let full = try leader.readResponse()
        let totalAfter = Date().timeIntervalSince(started)
        XCTAssertEqual(full.body.count, size)
        XCTAssertEqual(full.body, TestResponse.patternBytes(count: size))
        XCTAssertLessThan(firstByteAfter, totalAfter - 0.5, "the waiter's first byte came well before the origin finished")
        XCTAssertEqual(self.origin.requestCount, 1)
    }

    func testPrivateResponsesAreNeverHandedToWaiters() throws {
        let counter = Counter()
        try self.start { _ in
            TestResponse.ok("private-\(counter.next())", headers: [("Cache-Control", "private")]).delayed(by: .milliseconds(200))
        }
        let results = try self.concurrentGets(20, path: "/mine")
        let bodies = try results.map { try $0.get().bodyString }
        XCTAssertEqual(Set(bodies).count, 20, "every client got its own response: \(bodies)")
        XCTAssertEqual(self.origin.requestCount, 20)
        // The key is now hit-for-miss: the next requests go straight to the origin.
        let before = self.tern.proxy.runtime.stats.cacheHitForMissForwarded.load(ordering: .relaxed)
        _ = try get(self.tern.port, "/mine", headers: [("Host", "coalesce.test")])
        XCTAssertEqual(self.tern.proxy.runtime.stats.cacheHitForMissForwarded.load(ordering: .relaxed), before + 1)
        XCTAssertEqual(self.origin.requestCount, 21)
    }

    func testOriginAbortFailsEveryWaiterAndStoresNothing() throws {
        let counter = Counter()
        try self.start { _ in
            if counter.next() == 1 {
                return TestResponse(status: 200, headers: [("Cache-Control", "max-age=60")], body: .bytes(Array(repeating: 7, count: 100_000)),
                                    delayBeforeHead: .milliseconds(200), action: .abortAfterBodyBytes(5_000))
            }
            return .ok("fresh", headers: [("Cache-Control", "max-age=60")])
        }
        let results = try self.concurrentGets(10, path: "/abort")
        for result in results {
            switch result {
            case .success(let response):
                XCTAssertNotEqual(response.status, 200, "a waiter must never see a clean 200 of a truncated body")
            case .failure(let error):
                guard case RawHTTPClientError.closedBeforeCompleteResponse = error else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(self.origin.requestCount, 1)
        XCTAssertEqual(try get(self.tern.port, "/abort", headers: [("Host", "coalesce.test")]).bodyString, "fresh", "nothing was stored")
        XCTAssertEqual(self.origin.requestCount, 2)
    }

    func testBackgroundRevalidationUnderLoadIsOneRequest() throws {
        let counter = Counter()
        try self.start { request in
            let n = counter.next()
            let conditional = request.header("If-None-Match") != nil
            return TestResponse.ok("v\(n)", headers: [("Cache-Control", "max-age=1, stale-while-revalidate=600"), ("Age", "5"), ("ETag", "\"e\(n)\"")])
                .delayed(by: conditional ? .milliseconds(300) : .zero)
        }
        _ = try get(self.tern.port, "/bg", headers: [("Host", "coalesce.test")])
        let results = try self.concurrentGets(100, path: "/bg")
        for result in results { XCTAssertEqual(try result.get().bodyString, "v1") }
        XCTAssertTrue(waitUntil(timeout: 5) { self.origin.requestCount >= 2 })
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(self.origin.requestCount, 2, "exactly one conditional request for 100 stale hits")
        XCTAssertEqual(self.origin.requests.filter { $0.header("If-None-Match") != nil }.count, 1)
    }

    func testLockTimeoutLetsWaitersFetchOnTheirOwn() throws {
        try self.start(extraCache: "  lock_timeout: 200ms") { request in
            TestResponse.ok("slow", headers: [("Cache-Control", "max-age=60")]).delayed(by: .milliseconds(1500))
        }
        let results = try self.concurrentGets(3, path: "/lock")
        for result in results { XCTAssertEqual(try result.get().bodyString, "slow") }
        XCTAssertEqual(self.origin.requestCount, 3, "after the lock timeout each waiter fetched on its own")
        XCTAssertGreaterThanOrEqual(self.tern.proxy.runtime.stats.cacheLockTimeouts.load(ordering: .relaxed), 2)
    }

    func testLeaderClientDisconnectKeepsFillingForWaiters() throws {
        try self.start { _ in
            TestResponse.ok(String(repeating: "z", count: 10_000), headers: [("Cache-Control", "max-age=60")]).delayed(by: .milliseconds(300))
        }
        let leader = try RawHTTPClient(port: self.tern.port)
        try leader.send("GET /gone HTTP/1.1\r\nHost: coalesce.test\r\n\r\n")
        XCTAssertTrue(waitUntil(timeout: 5) { self.origin.requestCount == 1 })
        let waiter = try RawHTTPClient(port: self.tern.port)
        defer { waiter.close() }
        try waiter.send("GET /gone HTTP/1.1\r\nHost: coalesce.test\r\n\r\n")
        Thread.sleep(forTimeInterval: 0.05)
        leader.close()
        let response = try waiter.readResponse()
        XCTAssertEqual(response.body.count, 10_000)
        XCTAssertEqual(self.origin.requestCount, 1)
        XCTAssertTrue(try get(self.tern.port, "/gone", headers: [("Host", "coalesce.test")]).header("Cache-Status")?.hasPrefix("tern; hit") ?? false)
    }
}
