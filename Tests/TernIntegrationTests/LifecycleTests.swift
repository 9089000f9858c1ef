import Foundation
import NIOCore
import TernServer
import TernTesting
import XCTest

/// Graceful shutdown, the access log, and the `tern` command line.
final class LifecycleTests: XCTestCase {
    func testGracefulShutdownFinishesInFlightRequest() throws {
        let origin = try TestOrigin.start { _ in TestResponse.ok("slow but complete").delayed(by: .milliseconds(400)) }
        defer { origin.stop() }
        let tern = try startTern(proxyYAML(members: [origin.url]))
        let port = tern.port
        let client = try RawHTTPClient(port: port)
        defer { client.close() }
        try client.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertTrue(waitUntil(timeout: 2) { origin.requestCount == 1 })
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            tern.shutdown()
            done.signal()
        }
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyString, "slow but complete")
        XCTAssertEqual(response.header("Connection"), "close", "a draining server closes after the response")
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertThrowsError(try RawHTTPClient(port: port, timeout: 1).send("GET / HTTP/1.1\r\nHost: t\r\n\r\n"))
    }

    func testAccessLogWritesOneLinePerRequest() throws {
        let origin = try TestOrigin.start { _ in .ok("logged") }
        defer { origin.stop() }
        let logPath = NSTemporaryDirectory() + "tern-access-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: logPath) }
        let tern = try startTern("""
            listeners:
              - address: 127.0.0.1:0
            workers: 1
            logging:
              access:
                path: \(logPath)
                format: json
            origins:
              app:
                members: ["\(origin.url)"]
            routes:
              - path: /
                origin: app
            """)
        _ = try get(tern.port, "/a?b=%22c%22", headers: [("User-Agent", "tester \"quoted\"")])
        XCTAssertEqual(try get(tern.port, "/a?b=\"c\"").status, 400, "targets outside RFC 3986 are refused at the edge")
        _ = try get(tern.port, "/nope")
        tern.shutdown()
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        XCTAssertEqual(first?["method"] as? String, "GET")
        XCTAssertEqual(first?["target"] as? String, "/a?b=%22c%22")
        XCTAssertEqual(first?["status"] as? Int, 200)
        XCTAssertEqual(first?["bytes"] as? Int, 6)
        XCTAssertEqual(first?["user_agent"] as? String, "tester \"quoted\"")
        XCTAssertEqual(first?["upstream"] as? String, "127.0.0.1:\(origin.port)")
        XCTAssertNotNil(first?["duration_ms"])
    }

    // MARK: The binary

    private var ternBinary: URL {
        repositoryRoot.appendingPathComponent(".build/debug/tern")
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = self.ternBinary
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testCheckConfigExitCodes() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: self.ternBinary.path), "build the tern product first")
        let good = try self.run(["check-config", repositoryRoot.appendingPathComponent("Config/tern.yaml").path])
        XCTAssertEqual(good.status, 0, good.output)

        let badPath = NSTemporaryDirectory() + "tern-bad-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: badPath) }
        try """
            listeners:
              - address: 127.0.0.1:8080
            origins:
              app:
                members: ["http://127.0.0.1:9000"]
                balanse: round_robin
            routes:
              - path: /
                origin: missing
            """.write(toFile: badPath, atomically: true, encoding: .utf8)
        let bad = try self.run(["check-config", badPath])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.output.contains("\(badPath):6:"), bad.output)
        XCTAssertTrue(bad.output.contains("balance"), "suggests the closest valid key: \(bad.output)")
        XCTAssertTrue(bad.output.contains("missing"), bad.output)
    }

    func testCheckConfigCompilesTheWAFRules() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: self.ternBinary.path), "build the tern product first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-waf-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["modsecurity.conf.template", "crs-setup.conf.template"] {
            try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("Config/modsecurity/\(name)"), to: dir.appendingPathComponent(name))
        }
        let path = dir.appendingPathComponent("tern.yaml").path
        try """
            listeners: ["127.0.0.1:8080"]
            origins:
              app: {members: ["http://127.0.0.1:9000"]}
            routes:
              - {path: /, origin: app}
            waf: {mode: "on", config_dir: "\(dir.path)", audit_log: "\(dir.path)/audit.jsonl"}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let good = try self.run(["check-config", path])
        XCTAssertEqual(good.status, 0, good.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/audit.jsonl"), "checking opens no audit log")
        // A directive the engine rejects, in the operator's template.
        let template = dir.appendingPathComponent("modsecurity.conf.template")
        try (String(contentsOf: template, encoding: .utf8) + "\nSecNotADirective On\n").write(to: template, atomically: true, encoding: .utf8)
        let bad = try self.run(["check-config", path])
        XCTAssertEqual(bad.status, 2, bad.output)
        XCTAssertTrue(bad.output.contains("failed to load") && bad.output.contains("SecNotADirective"), bad.output)
    }

    func testExplainKey() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: self.ternBinary.path), "build the tern product first")
        let path = NSTemporaryDirectory() + "tern-key-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            listeners: ["127.0.0.1:8080"]
            origins:
              app: {members: ["http://127.0.0.1:9000"]}
            routes:
              - path: /
                origin: app
                cache:
                  key:
                    query: {deny: [utm_source]}
                    headers: [x-device]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try self.run(["check-config", path, "--explain-key", "http://Example.COM/p?utm_source=x&a=1", "-H", "X-Device: mobile"])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("route: #1"), result.output)
        let keyLine = result.output.split(separator: "\n").first { $0.hasPrefix("key: ") }.map(String.init) ?? ""
        XCTAssertTrue(keyLine.hasPrefix("key: http://example.com/p?a=1"), result.output)
        XCTAssertTrue(keyLine.contains("x-device=mobile"), result.output)
        let bad = try self.run(["check-config", path, "--explain-key", "/relative"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.output.contains("absolute"), bad.output)
    }

    func testQuickModeServesThroughTheBinary() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: self.ternBinary.path), "build the tern product first")
        let origin = try TestOrigin.start { request in .ok("quick \(request.uri)") }
        defer { origin.stop() }
        let api = try TestOrigin.start { _ in .ok("api") }
        defer { api.stop() }
        let port = try TestPorts.freeLoopbackPort()
        let process = Process()
        process.executableURL = self.ternBinary
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--origin", origin.url,
                             "--route", "/api=\(api.url)", "--access-log", "off", "--workers", "1"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        XCTAssertTrue(waitUntil(timeout: 10) { (try? RawHTTPClient.get(port: port, path: "/x")) != nil })
        XCTAssertEqual(try get(port, "/x").bodyString, "quick /x")
        XCTAssertEqual(try get(port, "/api/v1").bodyString, "api")
        process.terminate()  // SIGTERM: graceful
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0)
    }

    func testSIGHUPReloadsWAFRulesAndKeepsBlocking() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: self.ternBinary.path), "build the tern product first")
        let origin = try TestOrigin.start { _ in .ok("fine") }
        defer { origin.stop() }
        let port = try TestPorts.freeLoopbackPort()
        let process = Process()
        process.executableURL = self.ternBinary
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)", "--origin", origin.url, "--waf", "on",
                             "--access-log", "off", "--workers", "1", "--memory", "0"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        XCTAssertTrue(waitUntil(timeout: 15) { (try? RawHTTPClient.get(port: port, path: "/ok", headers: [("User-Agent", "Mozilla/5.0")])) != nil })
        // `serve` re-executed itself (same PID) with the larger glibc per-thread cache (Docs/operations.md).
        let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(process.processIdentifier)/environ"))) ?? Data()
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        XCTAssertTrue(variables.contains { $0.hasPrefix("GLIBC_TUNABLES=") && $0.contains("glibc.malloc.tcache_count=") }, "\(variables.filter { $0.hasPrefix("GLIBC") })")
        kill(process.processIdentifier, SIGHUP)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(try get(port, "/ok", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]).status, 200)
        XCTAssertEqual(try get(port, "/x?id=1%27%20OR%20%271%27%3D%271", headers: [("User-Agent", "Mozilla/5.0"), ("Accept", "text/html")]).status, 403)
        process.terminate()
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("WAF rules reloaded"), log)
    }

    func testServeRejectsBadFlags() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: self.ternBinary.path), "build the tern product first")
        let result = try self.run(["serve", "--listen", "127.0.0.1:99999", "--origin", "http://127.0.0.1:9000"])
        XCTAssertEqual(result.status, 2, result.output)
        XCTAssertTrue(result.output.contains("99999"), result.output)
        let noOrigin = try self.run(["serve"])
        XCTAssertNotEqual(noOrigin.status, 0)
    }
}
