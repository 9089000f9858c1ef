import TernConfig
import TernCore
import XCTest

/// Invalid configurations: each must fail with an error at an exact position whose text contains fragments.
final class ConfigErrorCasesTests: XCTestCase {
    struct Case {
        var name: String
        var yaml: String
        var line: Int
        var column: Int
        var fragments: [String]
        var sourceLine: UInt
    }

    static let header = """
        listeners:
          - address: "127.0.0.1:8080"

        """

    static func withOrigins(_ origins: String, routes: String = "routes:\n  - origin: app\n") -> String {
        header + "origins:\n" + origins + routes
    }

    static let cases: [Case] = [
        Case(
            name: "unknown top-level key suggests the closest",
            yaml: header + "origins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\nlimts: {}\n",
            line: 8, column: 1,
            fragments: ["unknown top-level key 'limts'", "did you mean 'limits'?", "valid keys: listeners, origins"],
            sourceLine: #line
        ),
        Case(
            name: "unknown pool key",
            yaml: withOrigins("  app:\n    membres: [\"http://127.0.0.1:9000\"]\n"),
            line: 5, column: 5,
            fragments: ["unknown key 'membres' in origins.app", "did you mean 'members'?"],
            sourceLine: #line
        ),
        Case(
            name: "bad duration",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    timeouts:\n      connect: 30x\n"),
            line: 7, column: 16,
            fragments: ["origins.app.timeouts.connect: invalid duration '30x'", "expected a duration such as 30s, 500ms, 5m"],
            sourceLine: #line
        ),
        Case(
            name: "negative duration",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    timeouts: {idle: -5s}\n"),
            line: 6, column: 22,
            fragments: ["origins.app.timeouts.idle: must not be negative"],
            sourceLine: #line
        ),
        Case(
            name: "zero timeout",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    timeouts: {first_byte: 0s}\n"),
            line: 6, column: 28,
            fragments: ["first_byte: must be greater than 0s"],
            sourceLine: #line
        ),
        Case(
            name: "weight 0",
            yaml: withOrigins("  app:\n    members:\n      - url: \"http://127.0.0.1:9000\"\n        weight: 0\n"),
            line: 7, column: 17,
            fragments: ["origins.app.members[0].weight: must be in 1...1000, got 0"],
            sourceLine: #line
        ),
        Case(
            name: "weight not a number",
            yaml: withOrigins("  app:\n    members: [{url: \"http://127.0.0.1:9000\", weight: heavy}]\n"),
            line: 5, column: 54,
            fragments: ["weight: expected an integer, got 'heavy'"],
            sourceLine: #line
        ),
        Case(
            name: "route names a missing origin",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: ap\n"),
            line: 7, column: 13,
            fragments: ["routes[0].origin: no origin named 'ap'", "did you mean 'app'?"],
            sourceLine: #line
        ),
        Case(
            name: "duplicate listeners",
            yaml: "listeners:\n  - address: \"127.0.0.1:8080\"\n  - address: \"127.0.0.1:8080\"\n"
                + "origins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\n",
            line: 3, column: 14,
            fragments: ["listeners[1].address: duplicate listener 127.0.0.1:8080", "already listed at line 2"],
            sourceLine: #line
        ),
        Case(
            name: "duplicate listeners in different spellings",
            yaml: "listeners:\n  - \"[::1]:8080\"\n  - address: \"[0:0::1]:8080\"\n"
                + "origins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\n",
            line: 3, column: 14,
            fragments: ["duplicate listener [::1]:8080"],
            sourceLine: #line
        ),
        Case(
            name: "duplicate pool names",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n  app:\n    members: [\"http://127.0.0.1:9001\"]\n"),
            line: 6, column: 3,
            fragments: ["duplicate key 'app'", "first defined at line 4"],
            sourceLine: #line
        ),
        Case(
            name: "port out of range",
            yaml: "listeners:\n  - address: \"127.0.0.1:80800\"\n"
                + "origins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\n",
            line: 2, column: 14,
            fragments: ["listeners[0].address: port 80800 is out of range", "0...65535"],
            sourceLine: #line
        ),
        Case(
            name: "missing port",
            yaml: "listeners:\n  - address: localhost\n"
                + "origins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\n",
            line: 2, column: 14,
            fragments: ["missing port in 'localhost'", "localhost:8080"],
            sourceLine: #line
        ),
        Case(
            name: "health check timeout not shorter than interval",
            yaml: withOrigins(
                "  app:\n    members: [\"http://127.0.0.1:9000\"]\n    health_check:\n      interval: 2s\n      timeout: 2s\n"),
            line: 8, column: 16,
            fragments: ["origins.app.health_check: timeout (2s) must be shorter than interval (2s)"],
            sourceLine: #line
        ),
        Case(
            name: "health check interval below the default timeout",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    health_check: {interval: 1s}\n"),
            line: 6, column: 30,
            fragments: ["timeout (2s) must be shorter than interval (1s)"],
            sourceLine: #line
        ),
        Case(
            name: "unknown balance policy lists the valid ones",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    balance: random\n"),
            line: 6, column: 14,
            fragments: ["origins.app.balance: unknown balance policy 'random'",
                        "valid values: round_robin, least_connections, consistent_hash"],
            sourceLine: #line
        ),
        Case(
            name: "misspelt balance policy is suggested",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    balance: round-robin\n"),
            line: 6, column: 14,
            fragments: ["did you mean 'round_robin'?"],
            sourceLine: #line
        ),
        Case(
            name: "file origin with members",
            yaml: withOrigins("  app:\n    type: file\n    root: ./site\n    members: [\"http://127.0.0.1:9000\"]\n"),
            line: 7, column: 5,
            fragments: ["origins.app.members: 'members' is only valid for http origins", "remove 'members'"],
            sourceLine: #line
        ),
        Case(
            name: "root without type file",
            yaml: withOrigins("  app:\n    root: ./site\n"),
            line: 5, column: 5,
            fragments: ["'root' is only valid for file origins", "add type: file"],
            sourceLine: #line
        ),
        Case(
            name: "http pool without members",
            yaml: withOrigins("  app:\n    balance: round_robin\n"),
            line: 4, column: 3,
            fragments: ["origins.app: missing required key 'members'"],
            sourceLine: #line
        ),
        Case(
            name: "http pool with an empty member list",
            yaml: withOrigins("  app:\n    members: []\n"),
            line: 5, column: 14,
            fragments: ["origins.app.members: an http origin needs at least one member"],
            sourceLine: #line
        ),
        Case(
            name: "file origin without root",
            yaml: withOrigins("  app:\n    type: file\n"),
            line: 4, column: 3,
            fragments: ["origins.app: missing required key 'root'"],
            sourceLine: #line
        ),
        Case(
            name: "unknown origin type",
            yaml: withOrigins("  app:\n    type: s3\n"),
            line: 5, column: 11,
            fragments: ["unknown origin type 's3'", "valid values: http, file"],
            sourceLine: #line
        ),
        Case(
            name: "https member",
            yaml: withOrigins("  app:\n    members: [\"https://example.com\"]\n"),
            line: 5, column: 15,
            fragments: ["invalid origin URL 'https://example.com'", "https origins are not supported yet"],
            sourceLine: #line
        ),
        Case(
            name: "member without scheme",
            yaml: withOrigins("  app:\n    members: [127.0.0.1:9000]\n"),
            line: 5, column: 15,
            fragments: ["invalid origin URL", "add the scheme, e.g. http://127.0.0.1:9000"],
            sourceLine: #line
        ),
        Case(
            name: "wrong type for a section",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nlimits: [1, 2]\n"),
            line: 8, column: 9,
            fragments: ["limits: expected a mapping, got a list"],
            sourceLine: #line
        ),
        Case(
            name: "zero header size",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nlimits:\n  max_header_bytes: 0\n"),
            line: 9, column: 21,
            fragments: ["limits.max_header_bytes: must be greater than 0"],
            sourceLine: #line
        ),
        Case(
            name: "negative body size",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nlimits:\n  max_request_body: -1MiB\n"),
            line: 9, column: 21,
            fragments: ["limits.max_request_body: must not be negative"],
            sourceLine: #line
        ),
        Case(
            name: "junk size",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nlimits:\n  max_uri_bytes: 8 KB B\n"),
            line: 9, column: 18,
            fragments: ["invalid size '8 KB B'", "16KiB"],
            sourceLine: #line
        ),
        Case(
            name: "route path must start with a slash",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - path: api\n    origin: app\n"),
            line: 7, column: 11,
            fragments: ["routes[0].path: must start with '/'"],
            sourceLine: #line
        ),
        Case(
            name: "route without origin",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - path: /\n"),
            line: 7, column: 5,
            fragments: ["routes[0]: missing required key 'origin'"],
            sourceLine: #line
        ),
        Case(
            name: "duplicate route",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\n  - {path: /, origin: app}\n"),
            line: 8, column: 6,
            fragments: ["routes[1]: duplicate route for host (any) and path /", "line 7"],
            sourceLine: #line
        ),
        Case(
            name: "missing routes",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: ""),
            line: 1, column: 1,
            fragments: ["configuration: missing required key 'routes'"],
            sourceLine: #line
        ),
        Case(
            name: "workers out of range",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nworkers: 0\n"),
            line: 8, column: 10,
            fragments: ["workers: must be in 1...256, got 0", "workers: auto"],
            sourceLine: #line
        ),
        Case(
            name: "bad bool",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    retry: sometimes\n"),
            line: 6, column: 12,
            fragments: ["origins.app.retry: expected true or false, got 'sometimes'"],
            sourceLine: #line
        ),
        Case(
            name: "bad trusted proxy",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nproxy:\n  trusted_proxies: [10.0.0.0/33]\n"),
            line: 9, column: 21,
            fragments: ["proxy.trusted_proxies[0]: invalid address or CIDR range '10.0.0.0/33'"],
            sourceLine: #line
        ),
        Case(
            name: "bad log level",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nlogging:\n  level: verbose\n"),
            line: 9, column: 10,
            fragments: ["logging.level: unknown log level 'verbose'", "trace, debug, info"],
            sourceLine: #line
        ),
        Case(
            name: "bad access log format",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\nlogging:\n  access: {format: jsno}\n"),
            line: 9, column: 20,
            fragments: ["logging.access.format: unknown access log format 'jsno'", "did you mean 'json'?"],
            sourceLine: #line
        ),
        Case(
            name: "expect_status reversed",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    health_check: {expect_status: \"399-200\"}\n"),
            line: 6, column: 35,
            fragments: ["expect_status: status range '399-200'"],
            sourceLine: #line
        ),
        Case(
            name: "max_idle above max_total",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    connections: {max_idle: 10, max_total: 5}\n"),
            line: 6, column: 29,
            fragments: ["max_idle (10) is larger than max_total (5)"],
            sourceLine: #line
        ),
        Case(
            name: "empty health_check is ambiguous",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n    health_check:\n"),
            line: 6, column: 18,
            fragments: ["health_check: expected a mapping, got nothing", "health_check: {}"],
            sourceLine: #line
        ),
        Case(
            name: "YAML syntax error",
            yaml: "listeners:\n  - address: \"127.0.0.1:8080\n",
            line: 3, column: 1,
            fragments: ["invalid YAML"],
            sourceLine: #line
        ),
        Case(
            name: "empty document",
            yaml: "# nothing here\n",
            line: 1, column: 1,
            fragments: ["the configuration is empty"],
            sourceLine: #line
        ),
        Case(
            name: "top level is a list",
            yaml: "- a\n- b\n",
            line: 1, column: 1,
            fragments: ["configuration: expected a mapping, got a list"],
            sourceLine: #line
        ),
        Case(
            name: "tilde paths are not expanded",
            yaml: withOrigins("  app:\n    type: file\n    root: ~/site\n"),
            line: 6, column: 11,
            fragments: ["origins.app.root: '~' is not expanded"],
            sourceLine: #line
        ),
        Case(
            name: "hidden index file",
            yaml: withOrigins("  app:\n    type: file\n    root: site\n    index: [index.html, .env]\n"),
            line: 7, column: 25,
            fragments: ["origins.app.index[1]: index entries are plain, non-hidden file names, got '.env'"],
            sourceLine: #line
        ),
        Case(
            name: "route host with a port",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - {host: \"example.com:80\", origin: app}\n"),
            line: 7, column: 12,
            fragments: ["routes[0].host: 'example.com:80' includes a port"],
            sourceLine: #line
        ),
        Case(
            name: "unknown encoded-slash policy",
            yaml: "listeners:\n  - {address: \"127.0.0.1:8080\", encoded_slashes: allow}\norigins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\n",
            line: 2, column: 50,
            fragments: ["listeners[0].encoded_slashes: unknown encoded-slash policy 'allow'"],
            sourceLine: #line
        ),
        Case(
            name: "unknown underscore policy",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n") + "limits:\n  underscores_in_headers: ignore\n",
            line: 9, column: 27,
            fragments: ["limits.underscores_in_headers: unknown policy 'ignore'", "drop"],
            sourceLine: #line
        ),
        Case(
            name: "strip_request_fields with a bad name",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n", routes: "routes:\n  - origin: app\n    strip_request_fields: [\"x host\"]\n"),
            line: 8, column: 28,
            fragments: ["'x host' is not a valid header name"],
            sourceLine: #line
        ),
        Case(
            name: "max_variants out of range",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n") + "cache:\n  max_variants: 0\n",
            line: 9, column: 17,
            fragments: ["cache.max_variants: must be in 1...4096, got 0"],
            sourceLine: #line
        ),
        Case(
            name: "admin host with a port",
            yaml: withOrigins("  app:\n    members: [\"http://127.0.0.1:9000\"]\n") + "admin:\n  hosts: [\"admin.internal:9090\"]\n",
            line: 9, column: 11,
            fragments: ["admin.hosts[0]: 'admin.internal:9090' is not a host name or IP address"],
            sourceLine: #line
        ),
    ]

    func testErrorCases() {
        Self.assertErrorCases(Self.cases)
    }

    /// Parses each case's YAML and checks that an error at its exact position contains every fragment
    /// (and, with `single`, that it is the only error).
    static func assertErrorCases(_ cases: [Case], single: Bool = false, file: StaticString = #filePath) {
        for testCase in cases {
            do {
                let config = try ConfigLoader.parse(yaml: testCase.yaml, fileName: "t.yaml", baseDirectory: "/etc/tern")
                XCTFail("\(testCase.name): expected an error, got \(config)", file: file, line: testCase.sourceLine)
            } catch {
                let match = error.errors.first { $0.line == testCase.line && $0.column == testCase.column }
                guard let match else {
                    XCTFail(
                        "\(testCase.name): no error at \(testCase.line):\(testCase.column); got:\n\(error)",
                        file: file, line: testCase.sourceLine
                    )
                    continue
                }
                if single, error.errors.count != 1 {
                    XCTFail("\(testCase.name): expected one error, got:\n\(error)", file: file, line: testCase.sourceLine)
                }
                for fragment in testCase.fragments {
                    XCTAssertTrue(
                        match.description.contains(fragment),
                        "\(testCase.name): '\(fragment)' not in '\(match.description)'",
                        file: file, line: testCase.sourceLine
                    )
                }
                XCTAssertTrue(
                    match.description.hasPrefix("t.yaml:\(testCase.line):\(testCase.column): error: "),
                    match.description,
                    file: file, line: testCase.sourceLine
                )
            }
        }
    }

    func testAllErrorsAreCollectedInOrder() throws {
        let yaml = """
            listeners:
              - address: "127.0.0.1:99999"
            origins:
              app:
                members: [{url: "http://127.0.0.1:9000", weight: 0}]
                balance: fastest
                timeouts: {connect: 30x}
            routes:
              - origin: nope
            limits:
              max_header_count: -1
            extra: true
            """
        do {
            _ = try ConfigLoader.parse(yaml: yaml, fileName: "multi.yaml", baseDirectory: "/")
            XCTFail("expected errors")
        } catch {
            let positions = error.errors.map { "\($0.line):\($0.column)" }
            XCTAssertEqual(positions, ["2:14", "5:54", "6:14", "7:25", "9:13", "11:21", "12:1"], "\(error)")
            XCTAssertEqual(error.description.split(separator: "\n").count, 7)
        }
    }

    func testErrorDescriptionFormat() {
        let error = ConfigError(file: "a.yaml", line: 3, column: 7, message: "bad", hint: "fix it")
        XCTAssertEqual(error.description, "a.yaml:3:7: error: bad (fix it)")
        XCTAssertEqual(ConfigError(file: "a.yaml", line: 1, column: 2, message: "bad").description, "a.yaml:1:2: error: bad")
    }

    func testMissingFile() {
        XCTAssertThrowsError(try ConfigLoader.load(path: "/nonexistent/tern.yaml")) { error in
            guard let errors = error as? ConfigErrors else { return XCTFail("\(error)") }
            XCTAssertEqual(errors.errors.first?.file, "/nonexistent/tern.yaml")
            XCTAssertTrue(errors.description.contains("cannot read configuration file"), errors.description)
        }
    }
}
