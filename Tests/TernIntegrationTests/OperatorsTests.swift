import Foundation
import NIOCore
import NIOPosix
import TernAdmin
import TernServer
import TernTesting
import XCTest

/// The operators' surface against a real server: purge by tag / prefix / URL (soft and hard), tokens,
/// stats, readiness, the PURGE method, and the `tern purge` CLI.
final class OperatorsTests: XCTestCase {
    var origin: TestOrigin!
    var tern: TernServer!
    var directory: String!
    var adminPort = 0
    let token = "s3cret-token"

    override func setUpWithError() throws {
        self.directory = NSTemporaryDirectory() + "tern-ops-\(UUID().uuidString)"
        self.origin = try TestOrigin.start { request in
            let tag: String
            switch request.uri {
            case "/a", "/b": tag = "red common"
            case "/c": tag = "blue, common"
            default: tag = "other"
            }
            return .ok("body \(request.uri)", headers: [("Cache-Control", "max-age=3600"), ("Surrogate-Key", tag), ("ETag", "\"e\(request.uri.count)\"")])
        }
        try self.launch()
    }

    private func launch() throws {
        self.adminPort = try TestPorts.freeLoopbackPort()
        self.tern = try startTern("""
            \(testListenerYAML)
            origins:
              app:
                members: ["\(self.origin.url)"]
            routes:
              - path: /
                origin: app
            cache:
              disk:
                path: \(self.directory!)
                size: 64MiB
            admin:
              listen: 127.0.0.1:\(self.adminPort)
              token: \(self.token)
              purge_method:
                enabled: true
                allow: [127.0.0.1/32]
            """)
    }

    override func tearDown() {
        self.tern?.shutdown()
        self.origin?.stop()
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private func fetch(_ path: String) throws -> RawResponse {
        try get(self.tern.port, path, headers: [("Host", "ops.test")])
    }

    private func isHit(_ path: String) throws -> Bool {
        try self.fetch(path).header("Cache-Status")?.hasPrefix("tern; hit") ?? false
    }

    private func adminRequest(_ method: String, _ path: String, body: String = "", token: String?) throws -> RawResponse {
        let client = try RawHTTPClient(port: self.adminPort)
        defer { client.close() }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        try client.send(request + "\r\n" + body)
        return try client.readResponse()
    }

    func testTagPurgeRemovesExactlyTaggedObjectsAlsoFromDiskAndAfterRestart() throws {
        for path in ["/a", "/b", "/c", "/d"] { _ = try self.fetch(path) }
        for path in ["/a", "/b", "/c", "/d"] { XCTAssertTrue(try self.isHit(path), path) }
        XCTAssertNil(try self.fetch("/a").header("Surrogate-Key"), "tag fields are stripped from responses")

        // The tag purge goes through the CLI (the operator's tool) when the binary is built.
        let binary = repositoryRoot.appendingPathComponent(".build/debug/tern")
        if FileManager.default.isExecutableFile(atPath: binary.path) {
            let (status, output) = try Self.runCLI(binary, ["purge", "--tag", "red", "--admin", "http://127.0.0.1:\(self.adminPort)", "--json"], token: self.token)
            XCTAssertEqual(status, 0, output)
            XCTAssertTrue(output.contains("\"purged\":2") || output.contains("\"purged\" : 2"), output)
        } else {
            let purge = try self.adminRequest("POST", "/purge", body: #"{"tags":["red"]}"#, token: self.token)
            XCTAssertEqual(purge.status, 200, purge.bodyString)
            XCTAssertEqual(try JSONDecoder().decode(PurgeResult.self, from: Data(purge.body)).purged, 2)
        }

        self.tern.cache?.flush()
        self.tern.shutdown()
        try self.launch()  // restart on the same disk tier
        XCTAssertTrue(try self.isHit("/c"))
        XCTAssertTrue(try self.isHit("/d"))
        XCTAssertFalse(try self.isHit("/a"), "purged by tag, also on disk")
        XCTAssertFalse(try self.isHit("/b"))
    }

    func testPrefixPurgeIsSegmentAware() throws {
        for path in ["/static/app.js", "/static/css/site.css", "/staticfile"] { _ = try self.fetch(path) }
        let purge = try self.adminRequest("POST", "/purge", body: #"{"prefixes":["/static"]}"#, token: self.token)
        XCTAssertEqual(purge.status, 200)
        XCTAssertFalse(try self.isHit("/static/app.js"))
        XCTAssertFalse(try self.isHit("/static/css/site.css"))
        XCTAssertTrue(try self.isHit("/staticfile"), "a sibling sharing only a string prefix is kept")
    }

    func testSoftPurgeRevalidatesAndDryRunChangesNothing() throws {
        _ = try self.fetch("/s")
        let dry = try self.adminRequest("POST", "/purge", body: #"{"urls":["http://ops.test/s"],"dryRun":true}"#, token: self.token)
        XCTAssertEqual(try JSONDecoder().decode(PurgeResult.self, from: Data(dry.body)).matched, 1)
        XCTAssertTrue(try self.isHit("/s"), "a dry run changes nothing")
        let soft = try self.adminRequest("POST", "/purge", body: #"{"urls":["http://ops.test/s"],"soft":true}"#, token: self.token)
        XCTAssertEqual(soft.status, 200)
        let before = self.origin.requestCount
        let next = try self.fetch("/s")
        XCTAssertEqual(next.bodyString, "body /s")
        XCTAssertEqual(self.origin.requestCount, before + 1)
        XCTAssertEqual(self.origin.lastRequest?.header("If-None-Match"), "\"e2\"", "a soft-purged object is revalidated")
    }

    func testMutatingCallsNeedTheToken() throws {
        _ = try self.fetch("/t")
        XCTAssertEqual(try self.adminRequest("POST", "/purge", body: #"{"all":true}"#, token: nil).status, 401)
        XCTAssertEqual(try self.adminRequest("POST", "/purge", body: #"{"all":true}"#, token: "wrong").status, 401)
        XCTAssertTrue(try self.isHit("/t"), "nothing changed")
        XCTAssertEqual(try self.adminRequest("GET", "/healthz", token: nil).status, 200)
        let ready = try self.adminRequest("GET", "/readyz", token: nil)
        XCTAssertEqual(ready.status, 200, ready.bodyString)
        let stats = try self.adminRequest("GET", "/stats", token: nil)
        let snapshot = try JSONDecoder.ternAdmin.decode(StatsSnapshot.self, from: Data(stats.body))
        XCTAssertGreaterThanOrEqual(snapshot.requests, 2)
        XCTAssertGreaterThanOrEqual(snapshot.cache.hitsMemory, 1)
        XCTAssertEqual(snapshot.tiers.map(\.name), ["memory", "disk"])
        let metrics = try self.adminRequest("GET", "/metrics", token: nil)
        XCTAssertTrue(metrics.bodyString.contains("tern_requests_total"), String(metrics.bodyString.prefix(400)))
    }

    func testPurgeMethodOnDataListener() throws {
        _ = try self.fetch("/p")
        XCTAssertTrue(try self.isHit("/p"))
        let client = try RawHTTPClient(port: self.tern.port)
        defer { client.close() }
        try client.send("PURGE /p HTTP/1.1\r\nHost: ops.test\r\n\r\n")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200, response.bodyString)
        XCTAssertFalse(try self.isHit("/p"))
    }

    static func runCLI(_ binary: URL, _ args: [String], token: String?) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["TERN_ADMIN_TOKEN"] = token
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testPurgeCLI() throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/tern")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "build the tern product first")
        _ = try self.fetch("/cli")
        func run(_ args: [String], token: String?) throws -> (Int32, String) { try Self.runCLI(binary, args, token: token) }
        let admin = "http://127.0.0.1:\(self.adminPort)"
        let denied = try run(["purge", "http://ops.test/cli", "--admin", admin], token: "wrong")
        XCTAssertEqual(denied.0, 3, denied.1)
        XCTAssertTrue(try self.isHit("/cli"))
        let ok = try run(["purge", "http://ops.test/cli", "--admin", admin, "--json"], token: self.token)
        XCTAssertEqual(ok.0, 0, ok.1)
        XCTAssertFalse(try self.isHit("/cli"))
    }
}

extension JSONDecoder {
    static var ternAdmin: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
