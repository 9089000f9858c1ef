import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// The LMDB disk tier through the real server: restarts (graceful and `kill -9`) keep the cache.
final class DiskTierIntegrationTests: XCTestCase {
    var origin: TestOrigin!
    var directory: String!

    override func setUpWithError() throws {
        self.directory = NSTemporaryDirectory() + "tern-disk-\(UUID().uuidString)"
        self.origin = try TestOrigin.start { request in
            .ok("object \(request.uri) " + String(repeating: "x", count: 200), headers: [("Cache-Control", "max-age=3600"), ("ETag", "\"\(request.uri.hashValue)\"")])
        }
    }

    override func tearDown() {
        self.origin?.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private func config(memory: String = "64MiB") -> String {
        """
        \(testListenerYAML)
        origins:
          app:
            members: ["\(self.origin.url)"]
        routes:
          - path: /
            origin: app
        cache:
          memory: \(memory)
          disk:
            path: \(self.directory!)
            size: 256MiB
        """
    }

    func testObjectsSurviveARestartAsDiskHits() throws {
        var tern = try startTern(self.config())
        let count = 300
        for i in 0..<count {
            let response = try get(tern.port, "/o/\(i)", headers: [("Host", "example.test")])
            XCTAssertTrue(response.header("Cache-Status")?.contains("stored") ?? false)
        }
        tern.shutdown()
        XCTAssertEqual(self.origin.requestCount, count)

        tern = try startTern(self.config())
        defer { tern.shutdown() }
        for i in 0..<count {
            let response = try get(tern.port, "/o/\(i)", headers: [("Host", "example.test")])
            XCTAssertTrue(response.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, "\(i): \(response.header("Cache-Status") ?? "-")")
            XCTAssertEqual(response.bodyString, "object /o/\(i) " + String(repeating: "x", count: 200))
        }
        XCTAssertEqual(self.origin.requestCount, count, "every object came from the disk tier")
        XCTAssertGreaterThanOrEqual(tern.proxy.runtime.stats.cacheDiskHits.load(ordering: .relaxed), count)
    }

    func testDiskOnlyHitsWithZeroMemoryTier() throws {
        let tern = try startTern(self.config(memory: "0"))
        defer { tern.shutdown() }
        _ = try get(tern.port, "/d")
        tern.cache?.flush()
        let hit = try get(tern.port, "/d")
        XCTAssertTrue(hit.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, hit.header("Cache-Status") ?? "-")
        XCTAssertEqual(self.origin.requestCount, 1)
    }

    func testKillDashNineKeepsCommittedObjects() throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/tern")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "build the tern product first")
        func launch(port: Int) throws -> Process {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--origin", self.origin.url,
                                 "--cache-dir", self.directory, "--disk", "256MiB", "--access-log", "off", "--workers", "1"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        let port = try TestPorts.freeLoopbackPort()
        let first = try launch(port: port)
        XCTAssertTrue(waitUntil(timeout: 10) { (try? RawHTTPClient.get(port: port, path: "/warmup")) != nil })
        let count = 200
        for i in 0..<count { _ = try get(port, "/k/\(i)") }
        // Committed objects: the writer batches within milliseconds. Then SIGKILL, no shutdown.
        Thread.sleep(forTimeInterval: 0.5)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let before = self.origin.requestCount

        let second = try launch(port: port)
        defer {
            second.terminate()
            second.waitUntilExit()
        }
        let started = Date()
        XCTAssertTrue(waitUntil(timeout: 10) { (try? RawHTTPClient.get(port: port, path: "/k/0"))?.header("Cache-Status")?.hasPrefix("tern; hit") ?? false })
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        for i in 0..<count {
            let response = try get(port, "/k/\(i)")
            XCTAssertTrue(response.header("Cache-Status")?.hasPrefix("tern; hit") ?? false, "\(i)")
            XCTAssertEqual(response.bodyString, "object /k/\(i) " + String(repeating: "x", count: 200))
        }
        XCTAssertEqual(self.origin.requestCount, before, "no object had to be refetched after kill -9")
    }
}

/// Answers produced after an asynchronous step (disk lookup, WAF) must still be sent.
final class AsyncPathAnswerTests: XCTestCase {
    func testOnlyIfCachedMissAfterDiskLookupAnswers504() throws {
        let directory = NSTemporaryDirectory() + "tern-async-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let origin = try TestOrigin.start { _ in .ok("x", headers: [("Cache-Control", "max-age=60")]) }
        defer { origin.stop() }
        let tern = try startTern("""
            \(testListenerYAML)
            origins:
              app:
                members: ["\(origin.url)"]
            routes:
              - path: /
                origin: app
            cache:
              memory: 0
              disk:
                path: \(directory)
                size: 16MiB
            """)
        defer { tern.shutdown() }
        let response = try get(tern.port, "/never", headers: [("Cache-Control", "only-if-cached")])
        XCTAssertEqual(response.status, 504)
        XCTAssertEqual(origin.requestCount, 0)
    }

    func testNoMemberAfterWAFAnswers503() throws {
        // Passive checks never eject a pool's last member (issue 13): "no member" comes from probes.
        let dead = try TestPorts.freeLoopbackPort()
        let tern = try startTern(proxyYAML(members: ["http://127.0.0.1:\(dead)"], extraPool: """
                passive_health:
                  max_failures: 1
                  cooldown: 60s
                health_check: {path: /health, interval: 100ms, timeout: 50ms, rise: 1, fall: 1}
            """, extraTop: """
            waf:
              mode: on
            """))
        defer { tern.shutdown() }
        let member = tern.proxy.runtime.pools[0].members[0]
        XCTAssertTrue(waitUntil(timeout: 5) { !member.isAvailableForStats(now: .now()) })
        XCTAssertEqual(try get(tern.port, "/", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]).status, 503)
    }

    func testLastMemberFailingAfterWAFStillAnswers502() throws {
        let dead = try TestPorts.freeLoopbackPort()
        let tern = try startTern(proxyYAML(members: ["http://127.0.0.1:\(dead)"], extraPool: """
                passive_health:
                  max_failures: 1
                  cooldown: 60s
            """, extraTop: """
            waf:
              mode: on
            """))
        defer { tern.shutdown() }
        XCTAssertEqual(try get(tern.port, "/", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]).status, 502)
        XCTAssertEqual(try get(tern.port, "/", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]).status, 502,
                       "the pool's only member is not ejected by passive checks")
    }
}
