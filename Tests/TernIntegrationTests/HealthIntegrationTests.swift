import Atomics
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TernConfig
import TernServer
import TernTesting
import XCTest

/// Passive health through real sockets (issue 13): a one-member pool whose origin drops
/// connections is never ejected, and a 5xx storm in a two-member pool ejects the failing member
/// when 5xx counting is on. Ejections, suppressions and returns are logged and counted.
final class HealthIntegrationTests: XCTestCase {
    var origins: [TestOrigin] = []
    var tern: TernServer!
    let logs = CapturedLogs()

    override func tearDown() {
        self.tern?.shutdown()
        for origin in self.origins { origin.stop() }
    }

    private func start(_ yaml: String) throws {
        let configuration = try ConfigLoader.parse(yaml: yaml, fileName: "test.yaml", baseDirectory: NSTemporaryDirectory())
        let logs = self.logs
        var logger = Logger(label: "tern-health-test") { _ in CapturingLogHandler(logs: logs) }
        logger.logLevel = .notice
        self.tern = try TernServer(configuration: configuration, logger: logger)
    }

    func testSingleMemberIsNeverEjectedWhenItsOriginClosesWithoutAnswering() throws {
        let broken = ManagedFlag(true)
        let origin = try TestOrigin.start { _ in broken.value ? .performing(.closeWithoutResponse) : .ok("back") }
        self.origins = [origin]
        try self.start(proxyYAML(members: [origin.url]))
        for attempt in 0..<5 {
            XCTAssertEqual(try get(self.tern.port, "/a\(attempt)").status, 502, "attempt \(attempt)")
        }
        XCTAssertEqual(origin.requestCount, 5, "every request reached the origin, none was refused with 503")

        let member = self.tern.proxy.runtime.pools[0].members[0]
        XCTAssertTrue(member.isAvailableForStats(now: .now()))
        XCTAssertEqual(member.ejections.withLockedValue { $0 }, [:], "the only member is never ejected")
        XCTAssertEqual(member.ejectionsSuppressed.withLockedValue { $0 }, ["reset": 1], "5 failures, threshold 3: one suppression")
        XCTAssertTrue(self.logs.contains("would have been ejected"), self.logs.all.joined(separator: "\n"))
        XCTAssertTrue(self.logs.contains("reason=reset"), self.logs.all.joined(separator: "\n"))

        // The origin answers again: the very next request succeeds (no 10-second outage).
        broken.value = false
        let response = try get(self.tern.port, "/after")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyString, "back")
        XCTAssertEqual(origin.requestCount, 6)
    }

    func testServerErrorStormEjectsTheFailingMemberWhen5xxCounts() throws {
        let failing = try TestOrigin.start { _ in .status(500, body: "boom") }
        let healthy = try TestOrigin.start { _ in .ok("fine") }
        self.origins = [failing, healthy]
        try self.start(proxyYAML(members: [failing.url, healthy.url], extraPool: """
                passive_health:
                  cooldown: 30s
                  http_5xx: {threshold: 3, window: 10s}
            """))
        var statuses: [Int] = []
        for index in 0..<20 { statuses.append(try get(self.tern.port, "/r\(index)").status) }
        // Round-robin alternates until the third 500 (request 5) ejects the failing member.
        XCTAssertEqual(failing.requestCount, 3, "statuses: \(statuses)")
        XCTAssertEqual(healthy.requestCount, 17)
        XCTAssertEqual(statuses.filter { $0 == 500 }.count, 3)
        XCTAssertEqual(Array(statuses.suffix(15)), Array(repeating: 200, count: 15))

        let members = self.tern.proxy.runtime.pools[0].members
        XCTAssertEqual(members[0].ejections.withLockedValue { $0 }, ["5xx": 1])
        XCTAssertEqual(members[1].ejections.withLockedValue { $0 }, [:])
        XCTAssertFalse(members[0].isAvailableForStats(now: .now()))
        XCTAssertTrue(self.logs.contains("origin member ejected"), self.logs.all.joined(separator: "\n"))
        XCTAssertTrue(self.logs.contains("reason=5xx"), self.logs.all.joined(separator: "\n"))
    }

    func testServerErrorsDoNotCountByDefault() throws {
        let failing = try TestOrigin.start { _ in .status(500, body: "boom") }
        let healthy = try TestOrigin.start { _ in .ok("fine") }
        self.origins = [failing, healthy]
        try self.start(proxyYAML(members: [failing.url, healthy.url]))
        for index in 0..<20 { _ = try get(self.tern.port, "/r\(index)") }
        XCTAssertEqual(failing.requestCount, 10, "without http_5xx a 500 is an answer, not a failure")
        XCTAssertEqual(self.tern.proxy.runtime.pools[0].members[0].ejections.withLockedValue { $0 }, [:])
    }

    func testEjectedMemberReturnIsLoggedAndCounted() throws {
        let failing = try TestOrigin.start { _ in .performing(.closeWithoutResponse) }
        let healthy = try TestOrigin.start { _ in .ok("fine") }
        self.origins = [failing, healthy]
        try self.start(proxyYAML(members: [failing.url, healthy.url], extraPool: """
                retry: false
                passive_health: {max_failures: 1, cooldown: 200ms}
            """))
        XCTAssertEqual(try get(self.tern.port, "/").status, 502)
        let member = self.tern.proxy.runtime.pools[0].members[0]
        XCTAssertEqual(member.ejections.withLockedValue { $0 }, ["reset": 1])
        XCTAssertTrue(waitUntil(timeout: 5) { member.returns.load(ordering: .relaxed) == 1 }, "the return is reported when the cool-down ends")
        XCTAssertTrue(self.logs.contains("back in service"), self.logs.all.joined(separator: "\n"))
    }
}

/// Log lines captured by ``CapturingLogHandler`` (message plus `key=value` metadata).
final class CapturedLogs: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])
    func append(_ line: String) { self.lines.withLockedValue { $0.append(line) } }
    var all: [String] { self.lines.withLockedValue { $0 } }
    func contains(_ fragment: String) -> Bool { self.all.contains { $0.contains(fragment) } }
}

struct CapturingLogHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let merged = self.metadata.merging(metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        self.logs.append("\(level) \(message) \(fields)")
    }
}
