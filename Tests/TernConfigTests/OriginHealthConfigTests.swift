import TernConfig
import TernCore
import XCTest

/// `passive_health` (what counts, 5xx windows) and `response_limits` of http origins.
final class OriginHealthConfigTests: XCTestCase {
    private func pool(_ extra: String, file: StaticString = #filePath, line: UInt = #line) throws -> HTTPPoolConfig {
        let yaml = """
            listeners: ["127.0.0.1:8080"]
            origins:
              app:
                members: ["http://127.0.0.1:9000"]
            \(extra)
            routes:
              - origin: app
            """
        let config = try ConfigLoader.parse(yaml: yaml, fileName: "t.yaml", baseDirectory: "/srv")
        guard case .http(let pool) = config.origin(named: "app")?.kind else {
            XCTFail("not http", file: file, line: line)
            throw ConfigErrors(errors: [])
        }
        return pool
    }

    func testDefaults() throws {
        let pool = try self.pool("")
        XCTAssertEqual(pool.passive.count, [.connect, .reset, .timeout, .invalidResponse])
        XCTAssertNil(pool.passive.serverErrors, "5xx statuses do not count unless configured")
        XCTAssertEqual(pool.responseLimits, OriginResponseLimits(maxHeaderCount: 200, maxHeaderBytes: .kibibytes(64), maxInterimResponses: 16))
    }

    func testPassiveHealthKeys() throws {
        let cases: [(yaml: String, expected: PassiveHealthConfig, line: UInt)] = [
            ("    passive_health: {count: [connect, timeout]}",
             PassiveHealthConfig(count: [.connect, .timeout]), #line),
            ("    passive_health: {count: reset}",
             PassiveHealthConfig(count: [.reset]), #line),
            ("    passive_health: {count: []}",
             PassiveHealthConfig(count: []), #line),
            ("    passive_health: {max_failures: 2, http_5xx: {threshold: 10, window: 30s}}",
             PassiveHealthConfig(maxFailures: 2, serverErrors: .init(threshold: 10, window: .seconds(30))), #line),
            ("    passive_health: {http_5xx: {}}",
             PassiveHealthConfig(serverErrors: .init(threshold: 5, window: .seconds(10))), #line),
            ("    passive_health: {http_5xx: off}",
             PassiveHealthConfig(serverErrors: nil), #line),
        ]
        for c in cases {
            XCTAssertEqual(try self.pool(c.yaml).passive, c.expected, c.yaml, line: c.line)
        }
    }

    func testResponseLimitKeys() throws {
        let pool = try self.pool("    response_limits: {max_header_count: 50, max_header_bytes: 8KiB, max_interim_responses: 0}")
        XCTAssertEqual(pool.responseLimits, OriginResponseLimits(maxHeaderCount: 50, maxHeaderBytes: .kibibytes(8), maxInterimResponses: 0))
    }

    static let header = "listeners: [\"127.0.0.1:8080\"]\norigins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\n"
    static let routes = "routes:\n  - origin: app\n"

    static let errorCases: [ConfigErrorCasesTests.Case] = [
        .init(
            name: "unknown failure kind",
            yaml: header + "    passive_health: {count: [connect, resett]}\n" + routes,
            line: 5, column: 39,
            fragments: ["origins.app.passive_health.count[1]: unknown failure kind 'resett'", "did you mean 'reset'?"],
            sourceLine: #line
        ),
        .init(
            name: "failure kind listed twice",
            yaml: header + "    passive_health: {count: [timeout, timeout]}\n" + routes,
            line: 5, column: 39,
            fragments: ["passive_health.count[1]: 'timeout' is listed twice"],
            sourceLine: #line
        ),
        .init(
            name: "5xx counted as a transport failure",
            yaml: header + "    passive_health: {count: [5xx]}\n" + routes,
            line: 5, column: 30,
            fragments: ["unknown failure kind '5xx'"],
            sourceLine: #line
        ),
        .init(
            name: "5xx threshold zero",
            yaml: header + "    passive_health: {http_5xx: {threshold: 0}}\n" + routes,
            line: 5, column: 44,
            fragments: ["passive_health.http_5xx.threshold: must be in 1...100000, got 0"],
            sourceLine: #line
        ),
        .init(
            name: "5xx window zero",
            yaml: header + "    passive_health: {http_5xx: {window: 0s}}\n" + routes,
            line: 5, column: 41,
            fragments: ["http_5xx.window: must be greater than 0s"],
            sourceLine: #line
        ),
        .init(
            name: "5xx window too long",
            yaml: header + "    passive_health: {http_5xx: {window: 2h}}\n" + routes,
            line: 5, column: 41,
            fragments: ["http_5xx.window: must be at most"],
            sourceLine: #line
        ),
        .init(
            name: "5xx unknown key",
            yaml: header + "    passive_health: {http_5xx: {treshold: 3}}\n" + routes,
            line: 5, column: 33,
            fragments: ["unknown key 'treshold' in origins.app.passive_health.http_5xx", "did you mean 'threshold'?"],
            sourceLine: #line
        ),
        .init(
            name: "5xx with passive ejection off",
            yaml: header + "    passive_health: {max_failures: 0, http_5xx: {threshold: 3}}\n" + routes,
            line: 5, column: 39,
            fragments: ["http_5xx: has no effect while max_failures is 0"],
            sourceLine: #line
        ),
        .init(
            name: "response header count zero",
            yaml: header + "    response_limits: {max_header_count: 0}\n" + routes,
            line: 5, column: 41,
            fragments: ["origins.app.response_limits.max_header_count: must be in 1...10000, got 0"],
            sourceLine: #line
        ),
        .init(
            name: "response header bytes too small",
            yaml: header + "    response_limits: {max_header_bytes: 100}\n" + routes,
            line: 5, column: 41,
            fragments: ["response_limits.max_header_bytes: must be between 1KiB and 16MiB, got 100 bytes"],
            sourceLine: #line
        ),
        .init(
            name: "negative interim responses",
            yaml: header + "    response_limits: {max_interim_responses: -1}\n" + routes,
            line: 5, column: 46,
            fragments: ["max_interim_responses: must be in 0...1000, got -1"],
            sourceLine: #line
        ),
        .init(
            name: "unknown response limit",
            yaml: header + "    response_limits: {max_headers: 10}\n" + routes,
            line: 5, column: 23,
            fragments: ["unknown key 'max_headers' in origins.app.response_limits"],
            sourceLine: #line
        ),
    ]

    func testErrorCases() {
        ConfigErrorCasesTests.assertErrorCases(Self.errorCases)
    }
}
