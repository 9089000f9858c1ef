import Foundation
import NIOConcurrencyHelpers
import NIOCore
import TernCore
import TernTesting
import XCTest

/// The memory bound (Docs/reliability.md, "Memory"): with `cache.memory: M`, the `tern` process's
/// anonymous RSS stays below `MemoryBound.limit(memory: M, connections: C)` — M plus a fixed
/// overhead plus a cost per open client connection — while far more distinct cacheable content than
/// M flows through it.
///
/// Each test runs the built `tern` binary (a separate process, so the figure is Tern's alone) in
/// front of a loopback `TestOrigin`, samples `RssAnon` from `/proc/PID/status` during and after the
/// load, and compares the peak with the bound. Without the binary the tests skip — unless `CI` is
/// set, where a missing binary is a failure.
final class MemoryBoundTests: XCTestCase {
    static let memory = 16 << 20

    // MARK: Workloads

    /// Issue 13's reproduction, scaled: 12× the memory tier in distinct 1 MiB objects, one
    /// connection per request. Each closed connection used to keep its last fill (~1 MiB).
    func testManyDistinctLargeObjects() throws {
        let body = TestResponse.patternBytes(count: 1 << 20)
        let origin = try TestOrigin.start { _ in
            .bytes(body, headers: [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")])
        }
        defer { origin.stop() }
        let tern = try TernProcess.start(origin: origin.url, memory: Self.memory)
        defer { tern.stop() }
        let sampler = RSSSampler(pid: tern.pid)
        try Self.concurrently(clients: 4, requests: 12 * Self.memory / body.count) { client, index in
            let response = try RawHTTPClient.get(port: tern.port, path: "/large/\(client)-\(index)", timeout: 10)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.body.count, body.count)
        }
        try tern.assertWithinBound(sampler, connections: 4)
        try tern.assertAccountsSettle()
        XCTAssertGreaterThanOrEqual(origin.requestCount, 12 * Self.memory / body.count, "every object was distinct")
    }

    /// 10× the memory tier in distinct 4 KiB objects over kept-alive connections.
    func testManySmallObjects() throws {
        let memory = 4 << 20
        let body = TestResponse.patternBytes(count: 4 << 10)
        let origin = try TestOrigin.start { _ in
            .bytes(body, headers: [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")])
        }
        defer { origin.stop() }
        let tern = try TernProcess.start(origin: origin.url, memory: memory)
        defer { tern.stop() }
        let sampler = RSSSampler(pid: tern.pid)
        let clients = 4
        let perClient = 10 * memory / body.count / clients
        try Self.concurrently(clients: clients, requests: clients) { client, _ in
            let connection = try RawHTTPClient(port: tern.port, timeout: 10)
            defer { connection.close() }
            for index in 0..<perClient {
                try connection.send("GET /small/\(client)-\(index) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try connection.readResponse()
                XCTAssertEqual(response.body.count, body.count)
            }
        }
        try tern.assertWithinBound(sampler, connections: clients)
        try tern.assertAccountsSettle()
        XCTAssertGreaterThanOrEqual(origin.requestCount, clients * perClient)
    }

    /// Objects fetched, purged with `PURGE` and fetched again, 10× the memory tier in all.
    func testPurges() throws {
        let body = TestResponse.patternBytes(count: 1 << 20)
        let origin = try TestOrigin.start { _ in
            .bytes(body, headers: [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")])
        }
        defer { origin.stop() }
        let tern = try TernProcess.start(origin: origin.url, memory: Self.memory, extraYAML: "  purge_method: {enabled: true}")
        defer { tern.stop() }
        let sampler = RSSSampler(pid: tern.pid)
        let objects = Self.memory / body.count / 2
        for _ in 0..<20 {
            try Self.concurrently(clients: 4, requests: objects) { _, index in
                XCTAssertEqual(try RawHTTPClient.get(port: tern.port, path: "/p/\(index)", timeout: 10).body.count, body.count)
            }
            try Self.concurrently(clients: 4, requests: objects) { _, index in
                let client = try RawHTTPClient(port: tern.port, timeout: 10)
                defer { client.close() }
                try client.send("PURGE /p/\(index) HTTP/1.1\r\nHost: 127.0.0.1:\(tern.port)\r\nConnection: close\r\n\r\n")
                XCTAssertEqual(try client.readResponse().status, 200)
            }
        }
        try tern.assertWithinBound(sampler, connections: 4)
        try tern.assertAccountsSettle(tierFilled: false)
        XCTAssertEqual(origin.requestCount, 20 * objects, "every round was fetched again after its purge")
    }

    /// Coalesced fills of 4 MiB objects from a slow origin, with clients that never read; then the
    /// clients go away. The objects total 10× the memory tier.
    func testCoalescedFillsWithSlowClients() throws {
        let size = 4 << 20
        let origin = try TestOrigin.start { _ in
            .generated(totalBytes: size, chunkSize: 64 << 10, interval: .milliseconds(2),
                       headers: [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")])
        }
        defer { origin.stop() }
        let tern = try TernProcess.start(origin: origin.url, memory: Self.memory)
        defer { tern.stop() }
        let sampler = RSSSampler(pid: tern.pid)
        let perObject = 6
        let rounds = 10 * Self.memory / size / 2
        for round in 0..<rounds {
            // Two objects at a time; each has a reading leader and `perObject - 1` waiters that read nothing.
            var leaders: [RawHTTPClient] = []
            var stalled: [RawHTTPClient] = []
            for object in 0..<2 {
                let path = "/slow/\(round)-\(object)"
                let fetched = origin.requestCount
                let leader = try RawHTTPClient(port: tern.port, timeout: 10)
                try leader.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
                XCTAssertTrue(waitUntil(timeout: 5) { origin.requestCount > fetched }, "the leader's fill started")
                leaders.append(leader)
                for _ in 1..<perObject {
                    let client = try RawHTTPClient(port: tern.port, timeout: 10)
                    try client.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
                    stalled.append(client)
                }
            }
            for leader in leaders {
                XCTAssertEqual(try leader.readResponse().body.count, size)
                leader.close()
            }
            for client in stalled { client.close() }
        }
        try tern.assertWithinBound(sampler, connections: 2 * perObject)
        try tern.assertAccountsSettle()
        XCTAssertEqual(origin.requestCount, 2 * rounds, "the waiters were coalesced")
    }

    /// Leaders that hang up mid-fill (the fill goes on for its waiters, then must let go of
    /// everything): 10× the memory tier in 2 MiB objects from a slow origin.
    func testLeadersThatLeaveMidFill() throws {
        let size = 2 << 20
        let origin = try TestOrigin.start { _ in
            .generated(totalBytes: size, chunkSize: 64 << 10, interval: .milliseconds(1),
                       headers: [("Cache-Control", "max-age=3600"), ("Content-Type", "application/octet-stream")])
        }
        defer { origin.stop() }
        let tern = try TernProcess.start(origin: origin.url, memory: Self.memory)
        defer { tern.stop() }
        let sampler = RSSSampler(pid: tern.pid)
        let objects = 10 * Self.memory / size
        for object in 0..<objects {
            let path = "/leave/\(object)"
            let fetched = origin.requestCount
            let leader = try RawHTTPClient(port: tern.port, timeout: 10)
            try leader.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertTrue(waitUntil(timeout: 5) { origin.requestCount > fetched }, "the leader's fill started")
            let waiter = try RawHTTPClient(port: tern.port, timeout: 10)
            try waiter.send("GET \(path) HTTP/1.1\r\nHost: t\r\n\r\n")
            leader.close()  // gone before the body: the fill continues for the waiter
            let response = try waiter.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.body.count, size)
            waiter.close()
        }
        try tern.assertWithinBound(sampler, connections: 2)
        try tern.assertAccountsSettle()
        XCTAssertEqual(origin.requestCount, objects, "each object was fetched once, for its waiter")
    }

    /// Compressible 1 MiB objects, 12× the memory tier: each stored object is also encoded in br
    /// and gzip on the thread pool.
    func testCompressionOfLargeBodies() throws {
        let body = TestResponse.patternBytes(count: 1 << 20)
        let origin = try TestOrigin.start { _ in
            .bytes(body, headers: [("Cache-Control", "max-age=3600"), ("Content-Type", "text/plain")])
        }
        defer { origin.stop() }
        let tern = try TernProcess.start(origin: origin.url, memory: Self.memory)
        defer { tern.stop() }
        let sampler = RSSSampler(pid: tern.pid)
        try Self.concurrently(clients: 4, requests: 12 * Self.memory / body.count) { client, index in
            let response = try RawHTTPClient.get(port: tern.port, path: "/text/\(client)-\(index)", headers: [("Accept-Encoding", "br, gzip")], timeout: 10)
            XCTAssertEqual(response.status, 200)
        }
        // Compression runs behind the responses: give the queue a moment to drain, then measure.
        Thread.sleep(forTimeInterval: 2)
        try tern.assertWithinBound(sampler, connections: 4)
        try tern.assertAccountsSettle()
    }

    // MARK: Helpers

    /// Runs `requests` calls of `body` spread over `clients` threads; rethrows the first error.
    static func concurrently(clients: Int, requests: Int, _ body: @escaping @Sendable (Int, Int) throws -> Void) throws {
        let failure = NIOLockedValueBox<(any Error)?>(nil)
        DispatchQueue.concurrentPerform(iterations: clients) { client in
            var index = client
            while index < requests {
                if failure.withLockedValue({ $0 != nil }) { return }
                do {
                    try body(client, index)
                } catch {
                    failure.withLockedValue { $0 = $0 ?? error }
                    return
                }
                index += clients
            }
        }
        if let error = failure.withLockedValue({ $0 }) { throw error }
    }
}

/// The `tern` binary serving one origin with a memory tier of `memory` bytes, on loopback.
final class TernProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let adminPort: Int
    let memory: Int
    var pid: Int32 { self.process.processIdentifier }
    private let configPath: String

    static var binary: URL { repositoryRoot.appendingPathComponent(".build/debug/tern") }

    /// Skips when the binary was not built — or fails, under CI, where it must have been.
    static func requireBinary() throws {
        if FileManager.default.isExecutableFile(atPath: self.binary.path) { return }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            throw TernProcessError("\(self.binary.path) is missing: build the tern product before the tests (make test does)")
        }
        throw XCTSkip("build the tern product first (\(self.binary.path))")
    }

    /// `extraYAML` continues the `admin:` section.
    static func start(origin: String, memory: Int, extraYAML: String = "") throws -> TernProcess {
        try self.requireBinary()
        let port = try TestPorts.freeLoopbackPort()
        let adminPort = try TestPorts.freeLoopbackPort()
        let path = NSTemporaryDirectory() + "tern-memory-\(UUID().uuidString).yaml"
        try """
            listeners: ["127.0.0.1:\(port)"]
            workers: 2
            shutdown_timeout: 2s
            logging:
              level: error
              access: {path: "off"}
            origins:
              app: {members: ["\(origin)"]}
            routes:
              - {path: /, origin: app}
            cache:
              memory: \(memory)B
            admin:
              listen: "127.0.0.1:\(adminPort)"
            \(extraYAML)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = self.binary
        process.arguments = ["serve", "-c", path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let tern = TernProcess(process: process, port: port, adminPort: adminPort, memory: memory, configPath: path)
        guard waitUntil(timeout: 15, poll: 0.05, { (try? RawHTTPClient(port: port, timeout: 1)) != nil }) else {
            tern.stop()
            throw TernProcessError("tern did not start listening on \(port)")
        }
        return tern
    }

    private init(process: Process, port: Int, adminPort: Int, memory: Int, configPath: String) {
        self.process = process
        self.port = port
        self.adminPort = adminPort
        self.memory = memory
        self.configPath = configPath
    }

    func stop() {
        if self.process.isRunning { self.process.terminate() }
        self.process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: self.configPath)
    }

    /// `memory` of `GET /stats`: each part by name (bytes, limitBytes), and the process figures.
    func memoryStats() throws -> (parts: [String: (bytes: Int, limit: Int)], anonymous: Int, bound: Int) {
        let response = try RawHTTPClient.get(port: self.adminPort, path: "/stats")
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let memory = json?["memory"] as? [String: Any] ?? [:]
        var parts: [String: (bytes: Int, limit: Int)] = [:]
        for part in memory["parts"] as? [[String: Any]] ?? [] {
            parts[part["name"] as? String ?? ""] = (part["bytes"] as? Int ?? -1, part["limitBytes"] as? Int ?? -1)
        }
        return (parts, memory["processAnonymousBytes"] as? Int ?? -1, memory["boundBytes"] as? Int ?? -1)
    }

    /// Once the load is over: every fill and encoding has returned its bytes to the ledger, the
    /// tier is within its limit, and `/stats` reports the process within its own bound.
    func assertAccountsSettle(tierFilled: Bool = true, file: StaticString = #filePath, line: UInt = #line) throws {
        var stats = try self.memoryStats()
        _ = waitUntil(timeout: 10, poll: 0.1) {
            stats = (try? self.memoryStats()) ?? stats
            return stats.parts["fills"]?.bytes == 0 && stats.parts["compression"]?.bytes == 0
        }
        XCTAssertEqual(Set(stats.parts.keys), ["tier", "fills", "compression", "disk_queue", "memos"], file: file, line: line)
        XCTAssertEqual(stats.parts["fills"]?.bytes, 0, "no fill in flight holds bytes", file: file, line: line)
        XCTAssertEqual(stats.parts["compression"]?.bytes, 0, "no encoding holds bytes", file: file, line: line)
        let tier = stats.parts["tier"] ?? (-1, -1)
        XCTAssertEqual(tier.limit, self.memory, file: file, line: line)
        if tierFilled {
            XCTAssertGreaterThan(tier.bytes, tier.limit / 2, "the tier was filled", file: file, line: line)
        } else {
            XCTAssertEqual(tier.bytes, 0, "everything was purged", file: file, line: line)
        }
        XCTAssertLessThanOrEqual(tier.bytes, tier.limit, file: file, line: line)
        XCTAssertGreaterThan(stats.anonymous, 0, file: file, line: line)
        XCTAssertLessThanOrEqual(stats.anonymous, stats.bound, "the process's own /stats: RssAnon within its bound", file: file, line: line)
    }

    /// Checks the peak `RssAnon` seen by `sampler` (and the value after the load) against the bound.
    func assertWithinBound(_ sampler: RSSSampler, connections: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let settled = sampler.finish()
        let bound = MemoryBound.limit(memory: Int64(self.memory), connections: connections)
        let mib = { (bytes: Int64) in String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
        print("memory bound: peak RssAnon \(mib(settled.peak)), after load \(mib(settled.last)), bound \(mib(bound)) (memory \(mib(Int64(self.memory))), \(connections) connections)")
        XCTAssertGreaterThan(settled.samples, 0, "RssAnon was sampled", file: file, line: line)
        XCTAssertLessThanOrEqual(settled.peak, bound, "peak RssAnon \(mib(settled.peak)) exceeds the bound \(mib(bound))", file: file, line: line)
        XCTAssertLessThanOrEqual(settled.last, bound, "RssAnon after the load \(mib(settled.last)) exceeds the bound \(mib(bound))", file: file, line: line)
    }
}

/// Fails the test that throws it (a skip would hide a missing binary under CI).
struct TernProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Samples a process's `RssAnon` every 20 ms on a background thread and keeps the peak.
final class RSSSampler: @unchecked Sendable {
    private let pid: Int32
    private let state = NIOLockedValueBox((peak: Int64(0), last: Int64(0), samples: 0, running: true))
    private let done = DispatchSemaphore(value: 0)

    init(pid: Int32) {
        self.pid = pid
        let thread = Thread { [self] in
            while self.state.withLockedValue({ $0.running }) {
                self.sample()
                Thread.sleep(forTimeInterval: 0.02)
            }
            self.done.signal()
        }
        thread.start()
    }

    private func sample() {
        guard let value = Self.rssAnon(pid: self.pid) else { return }
        self.state.withLockedValue {
            $0.peak = max($0.peak, value)
            $0.last = value
            $0.samples += 1
        }
    }

    /// Stops sampling and takes a last sample.
    func finish() -> (peak: Int64, last: Int64, samples: Int) {
        self.state.withLockedValue { $0.running = false }
        self.done.wait()
        self.sample()
        return self.state.withLockedValue { ($0.peak, $0.last, $0.samples) }
    }

    /// `RssAnon` of `pid` in bytes (`/proc/PID/status`), or `nil` when unreadable.
    static func rssAnon(pid: Int32) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("RssAnon:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kib = Int64(fields[1]) else { return nil }
            return kib * 1024
        }
        return nil
    }
}
