import Foundation
import TernConfig
import TernCore
import XCTest

/// The `waf`, `access` and `rate_limits` sections (top level, per listener, per route), `proxy_protocol`,
/// `limits.max_connections_per_client`, and quick mode's `--waf` and `--rate-limit`.
final class SecurityConfigTests: XCTestCase {
    typealias Case = ConfigErrorCasesTests.Case

    /// Lines 1–6: one listener on 127.0.0.1:8080, one origin, one route (`  - origin: app` on line 6).
    static let base = """
        listeners: ["127.0.0.1:8080"]
        origins:
          app:
            members: ["http://127.0.0.1:9000"]
        routes:
          - origin: app

        """

    /// `waf:` on line 7; `body` starts on line 8, indented by two spaces.
    static func withWAF(_ body: String) -> String {
        base + "waf:\n" + body
    }

    /// More keys of the route (indented by four spaces), starting on line 7.
    static func withRoute(_ body: String) -> String {
        base + body
    }

    /// `rate_limits:` on line 7; `body` starts on line 8, indented by two spaces. `route` goes into the route
    /// (before line 7) when given, so it shifts the section down by its line count.
    static func withPolicies(_ body: String, route: String = "") -> String {
        base + route + "rate_limits:\n" + body
    }

    private func parse(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> TernConfiguration? {
        do {
            return try ConfigLoader.parse(yaml: yaml, fileName: "s.yaml", baseDirectory: "/etc/tern")
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    private func range(_ text: String) -> IPAddressRange {
        IPAddressRange(text)!
    }

    // MARK: Defaults

    func testDefaults() throws {
        let waf = WAFConfig.default
        XCTAssertEqual(waf.mode, .off)
        XCTAssertEqual(waf.paranoiaLevel, 1)
        XCTAssertEqual(waf.inboundAnomalyThreshold, 5)
        XCTAssertEqual(waf.outboundAnomalyThreshold, 4)
        XCTAssertEqual(waf.requestBodyLimit, .mebibytes(13))
        XCTAssertEqual(waf.bodyLimitAction, .reject)
        XCTAssertNil(waf.threads)
        XCTAssertEqual(waf.queueLimit, 1024)
        XCTAssertEqual(waf.overload, .failClosed)
        XCTAssertNil(waf.auditLog)
        XCTAssertTrue(waf.inspectResponseHeaders)
        XCTAssertEqual(WAFModeConfig.allCases.map(\.rawValue), ["on", "detection_only", "off"])
        XCTAssertEqual(BodyLimitAction.allCases.map(\.rawValue), ["reject", "process_partial"])
        XCTAssertEqual(OverloadAction.allCases.map(\.rawValue), ["fail_open", "fail_closed"])

        let route = RouteWAFConfig.default
        XCTAssertEqual(route, RouteWAFConfig(mode: nil, excludeRuleIDs: [], excludeTags: [], excludeArguments: [], excludeHeaders: []))
        XCTAssertEqual(route.effectiveMode(global: WAFConfig(mode: .detectionOnly)), .detectionOnly)
        XCTAssertEqual(RouteWAFConfig(mode: .off).effectiveMode(global: WAFConfig(mode: .on)), .off)
        XCTAssertEqual(AccessListConfig(), AccessListConfig(allow: [], deny: []))
        XCTAssertEqual(RateLimitPolicyConfig(name: "a", rate: 1, burst: 1).key, .client)
        XCTAssertEqual(RateLimitPolicyConfig(name: "a", rate: 1, burst: 1).ipv6Prefix, 64)
        XCTAssertEqual(RateLimitPolicyConfig(name: "a", rate: 1, burst: 1).windowSeconds, 1)
        XCTAssertEqual(LimitsConfig.default.maxConnectionsPerClient, 0)
        XCTAssertEqual(ListenerConfig(address: HostPort(host: "127.0.0.1", port: 1)).proxyProtocol, false)
        XCTAssertNil(ListenerConfig(address: HostPort(host: "127.0.0.1", port: 1)).access)
        XCTAssertEqual(RouteConfig(origin: "app").waf, .default)
        XCTAssertNil(RouteConfig(origin: "app").access)
        XCTAssertEqual(RouteConfig(origin: "app").rateLimits, [])

        // Absent sections.
        let config = try XCTUnwrap(self.parse(Self.base))
        XCTAssertEqual(config.waf, .default)
        XCTAssertNil(config.access)
        XCTAssertEqual(config.rateLimits, [])
        XCTAssertEqual(config.listeners.map(\.proxyProtocol), [false])
        XCTAssertEqual(config.listeners.map(\.access), [nil])
        XCTAssertEqual(config.routes.map(\.waf), [.default])
        XCTAssertEqual(config.routes.map(\.access), [nil])
        XCTAssertEqual(config.routes.map(\.rateLimits), [[]])
        XCTAssertEqual(config.limits.maxConnectionsPerClient, 0)
        let empty = TernConfiguration(listeners: [], origins: [], routes: [])
        XCTAssertEqual(empty.waf, .default)
        XCTAssertNil(empty.access)
        XCTAssertEqual(empty.rateLimits, [])

        // Empty sections mean the defaults (or no list).
        XCTAssertEqual(self.parse(Self.base + "waf:\n")?.waf, .default)
        XCTAssertEqual(self.parse(Self.base + "waf: {}\n")?.waf, .default)
        XCTAssertEqual(self.parse(Self.withRoute("    waf:\n"))?.routes.first?.waf, .default)
        XCTAssertEqual(self.parse(Self.base + "rate_limits:\n")?.rateLimits, [])
        XCTAssertEqual(self.parse(Self.base + "rate_limits: {}\n")?.rateLimits, [])
        let nullAccess = try XCTUnwrap(self.parse(Self.base + "access:\n"))
        XCTAssertNil(nullAccess.access)
        XCTAssertEqual(self.parse(Self.base + "access: {}\n")?.access, AccessListConfig())
    }

    // MARK: WAF

    func testWAFValues() {
        // (waf body, expected, source line)
        let cases: [(String, WAFConfig, UInt)] = [
            ("  mode: on\n", WAFConfig(mode: .on), #line),
            ("  mode: detection_only\n", WAFConfig(mode: .detectionOnly), #line),
            ("  mode: off\n", WAFConfig(mode: .off), #line),
            ("  mode: \"on\"\n", WAFConfig(mode: .on), #line),
            ("  paranoia_level: 4\n", WAFConfig(paranoiaLevel: 4), #line),
            ("  inbound_anomaly_threshold: 10\n  outbound_anomaly_threshold: 1\n",
             WAFConfig(inboundAnomalyThreshold: 10, outboundAnomalyThreshold: 1), #line),
            ("  request_body_limit: 1MiB\n", WAFConfig(requestBodyLimit: .mebibytes(1)), #line),
            ("  body_limit_action: process_partial\n", WAFConfig(bodyLimitAction: .processPartial), #line),
            ("  threads: auto\n", WAFConfig(threads: nil), #line),
            ("  threads: 64\n", WAFConfig(threads: 64), #line),
            ("  queue_limit: 1\n", WAFConfig(queueLimit: 1), #line),
            ("  overload: fail_open\n", WAFConfig(overload: .failOpen), #line),
            ("  audit_log: logs/waf-audit.log\n", WAFConfig(auditLog: "/etc/tern/logs/waf-audit.log"), #line),
            ("  audit_log: /var/log/tern/audit.log\n", WAFConfig(auditLog: "/var/log/tern/audit.log"), #line),
            ("  audit_log: off\n", WAFConfig(auditLog: nil), #line),
            // A quoted "off" is a file called off.
            ("  audit_log: \"off\"\n", WAFConfig(auditLog: "/etc/tern/off"), #line),
            ("  inspect_response_headers: false\n", WAFConfig(inspectResponseHeaders: false), #line),
            // With the WAF off, the other keys are still validated and kept.
            ("  mode: off\n  paranoia_level: 3\n", WAFConfig(mode: .off, paranoiaLevel: 3), #line),
        ]
        for (body, expected, line) in cases {
            XCTAssertEqual(self.parse(Self.withWAF(body), line: line)?.waf, expected, line: line)
        }
    }

    func testWAFConfigDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tern-waf-dir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "SecRuleEngine On\n".write(to: dir.appendingPathComponent("modsecurity.conf.template"), atomically: true, encoding: .utf8)
        // One template missing: an error naming it.
        XCTAssertThrowsError(try ConfigLoader.parse(yaml: Self.withWAF("  config_dir: \(dir.path)\n"), fileName: "s.yaml", baseDirectory: "/etc/tern")) { error in
            XCTAssertTrue("\(error)".contains("has no crs-setup.conf.template"), "\(error)")
        }
        try "\n".write(to: dir.appendingPathComponent("crs-setup.conf.template"), atomically: true, encoding: .utf8)
        XCTAssertEqual(self.parse(Self.withWAF("  config_dir: \(dir.path)\n"))?.waf.configDirectory, dir.path)
    }

    func testRouteWAFValues() {
        // (route keys, expected, source line)
        let cases: [(String, RouteWAFConfig, UInt)] = [
            ("    waf: {mode: off}\n", RouteWAFConfig(mode: .off), #line),
            ("    waf: {mode: detection_only}\n", RouteWAFConfig(mode: .detectionOnly), #line),
            ("    waf: {mode: on}\n", RouteWAFConfig(mode: .on), #line),
            (
                "    waf:\n      exclude_rules: [942100, 920350, 942100]\n      exclude_tags: [attack-sqli, paranoia-level/2]\n",
                RouteWAFConfig(excludeRuleIDs: [942100, 920350], excludeTags: ["attack-sqli", "paranoia-level/2"]), #line
            ),
            ("    waf: {exclude_rules: 942100}\n", RouteWAFConfig(excludeRuleIDs: [942100]), #line),
            ("    waf: {exclude_rules: []}\n", RouteWAFConfig(excludeRuleIDs: []), #line),
            (
                "    waf: {exclude_args: [password, json.body, password], exclude_headers: [Cookie, x-sig, cookie]}\n",
                RouteWAFConfig(excludeArguments: ["password", "json.body"], excludeHeaders: ["cookie", "x-sig"]), #line
            ),
        ]
        for (body, expected, line) in cases {
            XCTAssertEqual(self.parse(Self.withRoute(body), line: line)?.routes.first?.waf, expected, line: line)
        }
    }

    // MARK: Access lists

    func testAccessLists() throws {
        let yaml = """
            listeners:
              - address: "127.0.0.1:8080"
                proxy_protocol: true
                access: {allow: [10.0.0.0/8]}
              - address: "127.0.0.1:8081"
              - "127.0.0.1:8082"
            origins:
              app:
                members: ["http://127.0.0.1:9000"]
            routes:
              - path: /admin
                origin: app
                access:
                  allow: [10.1.0.0/16, "::1"]
                  deny: [10.1.2.0/24, 10.1.2.3]
              - origin: app
            access:
              deny: 192.0.2.0/24
            limits:
              max_connections_per_client: 50

            """
        let config = try XCTUnwrap(self.parse(yaml))
        XCTAssertEqual(config.listeners.map(\.proxyProtocol), [true, false, false])
        XCTAssertEqual(config.listeners.map(\.access), [AccessListConfig(allow: [range("10.0.0.0/8")]), nil, nil])
        XCTAssertEqual(config.access, AccessListConfig(deny: [range("192.0.2.0/24")]))
        // Overlapping allow and deny ranges are fine: deny wins.
        let admin = try XCTUnwrap(config.routes.first?.access)
        XCTAssertEqual(admin.allow.map(\.description), ["10.1.0.0/16", "::1/128"])
        XCTAssertEqual(admin.deny.map(\.description), ["10.1.2.0/24", "10.1.2.3/32"])
        XCTAssertNil(config.routes.last?.access)
        XCTAssertEqual(config.limits.maxConnectionsPerClient, 50)

        // (address, admitted, source line)
        let checks: [(String, Bool, UInt)] = [
            ("10.1.0.1", true, #line), ("10.1.2.1", false, #line), ("10.1.2.3", false, #line),
            ("10.2.0.1", false, #line), ("::1", true, #line), ("::2", false, #line),
        ]
        for (text, admitted, line) in checks {
            XCTAssertEqual(admin.permits(IPAddress(text)!), admitted, text, line: line)
        }
        XCTAssertTrue(AccessListConfig().permits(IPAddress("203.0.113.9")!))
        XCTAssertFalse(AccessListConfig(deny: [range("0.0.0.0/0")]).permits(IPAddress("203.0.113.9")!))
        XCTAssertTrue(AccessListConfig(deny: [range("0.0.0.0/0")]).permits(IPAddress("::1")!))
    }

    // MARK: Rate limits

    func testRateLimits() throws {
        let yaml = Self.withPolicies(
            """
              api: {rate: "100r/s:200", key: client}
              search: {rate: "10r/s", key: "header:X-Api-Key"}
              shared: {rate: 90r/m, key: route}
              v6: {rate: 5r/h, ipv6_prefix: 48}
              short: "20r/s:40"

            """,
            route: "    rate_limits: [api, search, shared]\n"
        )
        let config = try XCTUnwrap(self.parse(yaml))
        XCTAssertEqual(
            config.rateLimits,
            [
                RateLimitPolicyConfig(name: "api", rate: 100, burst: 200, windowSeconds: 1, key: .client),
                RateLimitPolicyConfig(name: "search", rate: 10, burst: 10, windowSeconds: 1, key: .header("x-api-key")),
                RateLimitPolicyConfig(name: "shared", rate: 1.5, burst: 2, windowSeconds: 60, key: .route),
                RateLimitPolicyConfig(name: "v6", rate: 5.0 / 3600, burst: 1, windowSeconds: 3600, ipv6Prefix: 48),
                RateLimitPolicyConfig(name: "short", rate: 20, burst: 40),
            ]
        )
        XCTAssertEqual(config.routes.first?.rateLimits, ["api", "search", "shared"])
        XCTAssertEqual(config.rateLimit(named: "search")?.key, .header("x-api-key"))
        XCTAssertNil(config.rateLimit(named: "nope"))

        // One name without a list; an empty list.
        let single = self.parse(Self.withPolicies("  api: 1r/s\n", route: "    rate_limits: api\n"))
        XCTAssertEqual(single?.routes.first?.rateLimits, ["api"])
        let none = self.parse(Self.withPolicies("  api: 1r/s\n", route: "    rate_limits: []\n"))
        XCTAssertEqual(none?.routes.first?.rateLimits, [])
        // Policies may be declared and not used.
        XCTAssertEqual(self.parse(Self.withPolicies("  api: 1r/s\n"))?.routes.first?.rateLimits, [])
    }

    // MARK: Errors

    func testErrors() {
        ConfigErrorCasesTests.assertErrorCases([
            // waf
            Case(
                name: "unknown WAF mode", yaml: Self.withWAF("  mode: block\n"),
                line: 8, column: 9,
                fragments: ["waf.mode: unknown WAF mode 'block'", "valid modes: on, detection_only, off"], sourceLine: #line
            ),
            Case(
                name: "WAF mode with a dash", yaml: Self.withWAF("  mode: detection-only\n"),
                line: 8, column: 9, fragments: ["unknown WAF mode 'detection-only'", "did you mean 'detection_only'?"],
                sourceLine: #line
            ),
            Case(
                name: "WAF mode true", yaml: Self.withWAF("  mode: true\n"),
                line: 8, column: 9, fragments: ["unknown WAF mode 'true'", "write on or off"], sourceLine: #line
            ),
            Case(
                name: "paranoia 5", yaml: Self.withWAF("  paranoia_level: 5\n"),
                line: 8, column: 19, fragments: ["waf.paranoia_level: must be in 1...4, got 5", "paranoia levels are 1"],
                sourceLine: #line
            ),
            Case(
                name: "paranoia not a number", yaml: Self.withWAF("  paranoia_level: high\n"),
                line: 8, column: 19, fragments: ["waf.paranoia_level: expected an integer, got 'high'", "1...4"],
                sourceLine: #line
            ),
            Case(
                name: "inbound threshold 0", yaml: Self.withWAF("  inbound_anomaly_threshold: 0\n"),
                line: 8, column: 30, fragments: ["waf.inbound_anomaly_threshold: must be in 1 or more, got 0", "default is 5"],
                sourceLine: #line
            ),
            Case(
                name: "outbound threshold negative", yaml: Self.withWAF("  outbound_anomaly_threshold: -4\n"),
                line: 8, column: 31, fragments: ["waf.outbound_anomaly_threshold: must be in 1 or more, got -4"],
                sourceLine: #line
            ),
            Case(
                name: "body limit 0", yaml: Self.withWAF("  request_body_limit: 0\n"),
                line: 8, column: 23, fragments: ["waf.request_body_limit: must be greater than 0", "e.g."], sourceLine: #line
            ),
            Case(
                name: "body limit action", yaml: Self.withWAF("  body_limit_action: truncate\n"),
                line: 8, column: 22,
                fragments: ["waf.body_limit_action: unknown body limit action 'truncate'", "valid values: reject, process_partial"],
                sourceLine: #line
            ),
            Case(
                name: "threads 65", yaml: Self.withWAF("  threads: 65\n"),
                line: 8, column: 12, fragments: ["waf.threads: must be in 1...64, got 65", "threads: auto"], sourceLine: #line
            ),
            Case(
                name: "threads not a number", yaml: Self.withWAF("  threads: many\n"),
                line: 8, column: 12, fragments: ["waf.threads: expected 'auto' or an integer, got 'many'"], sourceLine: #line
            ),
            Case(
                name: "queue limit 0", yaml: Self.withWAF("  queue_limit: 0\n"),
                line: 8, column: 16, fragments: ["waf.queue_limit: must be in 1...1000000, got 0"], sourceLine: #line
            ),
            Case(
                name: "overload typo", yaml: Self.withWAF("  overload: fail_close\n"),
                line: 8, column: 13, fragments: ["unknown overload action 'fail_close'", "did you mean 'fail_closed'?"],
                sourceLine: #line
            ),
            Case(
                name: "audit log with ~", yaml: Self.withWAF("  audit_log: ~/audit.log\n"),
                line: 8, column: 14, fragments: ["waf.audit_log: '~' is not expanded", "absolute path"], sourceLine: #line
            ),
            Case(
                name: "inspect_response_headers yes", yaml: Self.withWAF("  inspect_response_headers: yes\n"),
                line: 8, column: 29, fragments: ["waf.inspect_response_headers: expected true or false"], sourceLine: #line
            ),
            Case(
                name: "unknown WAF key", yaml: Self.withWAF("  mod: on\n"),
                line: 8, column: 3, fragments: ["unknown key 'mod' in waf", "did you mean 'mode'?"], sourceLine: #line
            ),
            Case(
                name: "waf is a scalar", yaml: Self.base + "waf: on\n",
                line: 7, column: 6, fragments: ["waf: expected a mapping, got 'on'", "waf: {mode: on"], sourceLine: #line
            ),
            // route waf
            Case(
                name: "route WAF mode", yaml: Self.withRoute("    waf: {mode: enforce}\n"),
                line: 7, column: 17, fragments: ["routes[0].waf.mode: unknown WAF mode 'enforce'", "valid modes"],
                sourceLine: #line
            ),
            Case(
                name: "exclude_rules with a non-integer", yaml: Self.withRoute("    waf: {exclude_rules: [942100, abc]}\n"),
                line: 7, column: 35,
                fragments: ["routes[0].waf.exclude_rules[1]: expected a rule ID (a whole number), got 'abc'", "e.g. 942100"],
                sourceLine: #line
            ),
            Case(
                name: "exclude_rules with a range", yaml: Self.withRoute("    waf: {exclude_rules: 942100-942199}\n"),
                line: 7, column: 26, fragments: ["exclude_rules: expected a rule ID", "ranges are not supported"],
                sourceLine: #line
            ),
            Case(
                name: "exclude_rules with a fraction", yaml: Self.withRoute("    waf: {exclude_rules: [1.5]}\n"),
                line: 7, column: 27, fragments: ["exclude_rules[0]: expected a rule ID (a whole number), got '1.5'"],
                sourceLine: #line
            ),
            Case(
                name: "exclude_rules with 0", yaml: Self.withRoute("    waf: {exclude_rules: [0]}\n"),
                line: 7, column: 27, fragments: ["exclude_rules[0]: rule IDs are 1...4294967295, got 0"], sourceLine: #line
            ),
            Case(
                name: "exclude_rules is a mapping", yaml: Self.withRoute("    waf: {exclude_rules: {id: 1}}\n"),
                line: 7, column: 26, fragments: ["exclude_rules: expected a list, got a mapping", "write e.g."],
                sourceLine: #line
            ),
            Case(
                name: "exclude_tags with a space", yaml: Self.withRoute("    waf: {exclude_tags: [\"attack sqli\"]}\n"),
                line: 7, column: 26, fragments: ["exclude_tags[0]: 'attack sqli' is not a rule tag", "separate items"],
                sourceLine: #line
            ),
            Case(
                name: "exclude_args empty", yaml: Self.withRoute("    waf: {exclude_args: [\"\"]}\n"),
                line: 7, column: 26, fragments: ["exclude_args[0]: must not be empty"], sourceLine: #line
            ),
            Case(
                name: "exclude_headers not a token", yaml: Self.withRoute("    waf: {exclude_headers: [\"x sig\"]}\n"),
                line: 7, column: 29, fragments: ["exclude_headers[0]: 'x sig' is not a valid header name", "RFC 9110"],
                sourceLine: #line
            ),
            Case(
                name: "unknown route WAF key", yaml: Self.withRoute("    waf: {exclude_rule: [1]}\n"),
                line: 7, column: 11, fragments: ["unknown key 'exclude_rule' in routes[0].waf", "did you mean 'exclude_rules'?"],
                sourceLine: #line
            ),
            // access
            Case(
                name: "bad CIDR in the global access list", yaml: Self.base + "access:\n  allow: [10.0.0.0/8, 10.0.0.0/33]\n",
                line: 8, column: 23,
                fragments: ["access.allow[1]: invalid address or CIDR range '10.0.0.0/33'", "write e.g. 10.0.0.0/8"],
                sourceLine: #line
            ),
            Case(
                name: "bad CIDR in a listener access list",
                yaml: "listeners:\n  - address: \"127.0.0.1:8080\"\n    access: {deny: [nope]}\n" + String(Self.base.dropFirst(30)),
                line: 3, column: 21, fragments: ["listeners[0].access.deny[0]: invalid address or CIDR range 'nope'"],
                sourceLine: #line
            ),
            Case(
                name: "bad CIDR in a route access list", yaml: Self.withRoute("    access:\n      deny: 300.1.1.1\n"),
                line: 8, column: 13,
                fragments: ["routes[0].access.deny: invalid address or CIDR range '300.1.1.1'", "write e.g."],
                sourceLine: #line
            ),
            Case(
                name: "unknown access key", yaml: Self.withRoute("    access: {allowed: [10.0.0.1]}\n"),
                line: 7, column: 14, fragments: ["unknown key 'allowed' in routes[0].access", "did you mean 'allow'?"],
                sourceLine: #line
            ),
            Case(
                name: "access is a list", yaml: Self.base + "access: [10.0.0.0/8]\n",
                line: 7, column: 9, fragments: ["access: expected a mapping, got a list", "access: {allow: ["],
                sourceLine: #line
            ),
            // listeners and limits
            Case(
                name: "proxy_protocol not a bool",
                yaml: "listeners:\n  - {address: \"127.0.0.1:8080\", proxy_protocol: v2}\n" + String(Self.base.dropFirst(30)),
                line: 2, column: 49, fragments: ["listeners[0].proxy_protocol: expected true or false, got 'v2'"],
                sourceLine: #line
            ),
            Case(
                name: "unknown listener key",
                yaml: "listeners:\n  - {address: \"127.0.0.1:8080\", proxy-protocol: true}\n" + String(Self.base.dropFirst(30)),
                line: 2, column: 33, fragments: ["unknown key 'proxy-protocol' in listeners[0]", "did you mean 'proxy_protocol'?"],
                sourceLine: #line
            ),
            Case(
                name: "max_connections_per_client negative", yaml: Self.base + "limits: {max_connections_per_client: -1}\n",
                line: 7, column: 38, fragments: ["limits.max_connections_per_client: must be in 0...10000000, got -1", "0 means unlimited"],
                sourceLine: #line
            ),
            // rate limits
            Case(
                name: "route names a missing policy",
                yaml: Self.withPolicies("  api: {rate: \"100r/s:200\"}\n", route: "    rate_limits: [apii]\n"),
                line: 7, column: 19,
                fragments: ["routes[0].rate_limits[0]: no rate limit policy named 'apii'", "did you mean 'api'?", "valid policies: api"],
                sourceLine: #line
            ),
            Case(
                name: "route names a policy without rate_limits", yaml: Self.withRoute("    rate_limits: api\n"),
                line: 7, column: 18,
                fragments: ["routes[0].rate_limits: no rate limit policy named 'api'", "define it under the top-level rate_limits"],
                sourceLine: #line
            ),
            Case(
                name: "route lists a policy twice",
                yaml: Self.withPolicies("  api: 1r/s\n", route: "    rate_limits: [api, api]\n"),
                line: 7, column: 24, fragments: ["routes[0].rate_limits[1]: 'api' is listed twice", "list each policy once"],
                sourceLine: #line
            ),
            Case(
                name: "malformed rate", yaml: Self.withPolicies("  api: {rate: abc}\n"),
                line: 8, column: 15,
                fragments: ["rate_limits.api.rate: invalid rate 'abc'", "expected <count>r/<unit>[:<burst>], e.g. 100r/s:200"],
                sourceLine: #line
            ),
            Case(
                name: "zero rate", yaml: Self.withPolicies("  api: {rate: 0r/s}\n"),
                line: 8, column: 15,
                fragments: ["rate_limits.api.rate: invalid rate '0r/s'", "the count before 'r/' must be a whole number from 1"],
                sourceLine: #line
            ),
            Case(
                name: "bad rate unit", yaml: Self.withPolicies("  api: {rate: 10r/x}\n"),
                line: 8, column: 15,
                fragments: ["rate_limits.api.rate: invalid rate '10r/x'", "the unit after 'r/' must be s, m or h"],
                sourceLine: #line
            ),
            Case(
                name: "bad burst", yaml: Self.withPolicies("  api: {rate: \"10r/s:0\"}\n"),
                line: 8, column: 15, fragments: ["invalid rate '10r/s:0'", "the burst after ':'"], sourceLine: #line
            ),
            Case(
                name: "shorthand rate malformed", yaml: Self.withPolicies("  api: 100/s\n"),
                line: 8, column: 8, fragments: ["rate_limits.api: invalid rate '100/s'", "expected <count>r/<unit>"],
                sourceLine: #line
            ),
            Case(
                name: "rate missing", yaml: Self.withPolicies("  api: {key: client}\n"),
                line: 8, column: 3, fragments: ["rate_limits.api: missing required key 'rate'", "add e.g. rate:"],
                sourceLine: #line
            ),
            Case(
                name: "header key without a name", yaml: Self.withPolicies("  api: {rate: 10r/s, key: \"header:\"}\n"),
                line: 8, column: 27,
                fragments: ["rate_limits.api.key: a header key needs a header name, got 'header:'", "header:X-Api-Key"],
                sourceLine: #line
            ),
            Case(
                name: "header key without a colon", yaml: Self.withPolicies("  api: {rate: 10r/s, key: header}\n"),
                line: 8, column: 27, fragments: ["a header key needs a header name, got 'header'"], sourceLine: #line
            ),
            Case(
                name: "header key with a bad name", yaml: Self.withPolicies("  api: {rate: 10r/s, key: \"header:X Key\"}\n"),
                line: 8, column: 27, fragments: ["rate_limits.api.key: 'X Key' is not a valid header name"], sourceLine: #line
            ),
            Case(
                name: "header key in upper case", yaml: Self.withPolicies("  api: {rate: 10r/s, key: \"Header:X-Key\"}\n"),
                line: 8, column: 27, fragments: ["write 'header:' in lower case", "header:X-Key"], sourceLine: #line
            ),
            Case(
                name: "unknown key kind", yaml: Self.withPolicies("  api: {rate: 10r/s, key: clients}\n"),
                line: 8, column: 27,
                fragments: ["rate_limits.api.key: unknown rate limit key 'clients'", "did you mean 'client'?", "header:<Name>"],
                sourceLine: #line
            ),
            Case(
                name: "ipv6 prefix 129", yaml: Self.withPolicies("  api: {rate: 10r/s, ipv6_prefix: 129}\n"),
                line: 8, column: 35, fragments: ["rate_limits.api.ipv6_prefix: must be in 1...128, got 129"], sourceLine: #line
            ),
            Case(
                name: "ipv6 prefix with a route key", yaml: Self.withPolicies("  api: {rate: 10r/s, key: route, ipv6_prefix: 48}\n"),
                line: 8, column: 34, fragments: ["ipv6_prefix has no effect with key: route", "use key: client"],
                sourceLine: #line
            ),
            Case(
                name: "unknown policy key", yaml: Self.withPolicies("  api: {rate: 10r/s, burst: 20}\n"),
                line: 8, column: 22, fragments: ["unknown key 'burst' in rate_limits.api", "valid keys: rate, key, ipv6_prefix"],
                sourceLine: #line
            ),
            Case(
                name: "invalid policy name", yaml: Self.withPolicies("  \"a b\": 10r/s\n"),
                line: 8, column: 3, fragments: ["rate_limits.a b: invalid policy name 'a b'", "letters, digits"], sourceLine: #line
            ),
            Case(
                name: "rate_limits is a list", yaml: Self.base + "rate_limits: [api]\n",
                line: 7, column: 14, fragments: ["rate_limits: expected a mapping of policy names to policies, got a list"],
                sourceLine: #line
            ),
            Case(
                name: "policy is a list", yaml: Self.withPolicies("  api: [10r/s]\n"),
                line: 8, column: 8, fragments: ["rate_limits.api: expected a mapping, got a list", "rate: \"100r/s:200\""],
                sourceLine: #line
            ),
        ])
    }

    /// A route naming a policy that has errors gets no second error.
    func testBrokenPolicyIsReportedOnce() {
        ConfigErrorCasesTests.assertErrorCases(
            [
                Case(
                    name: "route names a broken policy",
                    yaml: Self.withPolicies("  api: {rate: abc}\n", route: "    rate_limits: [api]\n"),
                    line: 9, column: 15, fragments: ["rate_limits.api.rate: invalid rate 'abc'"], sourceLine: #line
                )
            ],
            single: true
        )
    }

    // MARK: Quick mode

    func testQuickWAFAndRateLimit() throws {
        let plain = try TernConfiguration.quick(listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [])
        XCTAssertEqual(plain.waf, .default)
        XCTAssertEqual(plain.rateLimits, [])
        XCTAssertEqual(plain.routes.map(\.rateLimits), [[]])

        // (flag value, expected mode, source line)
        let modes: [(String, WAFModeConfig, UInt)] = [
            ("on", .on, #line), ("detection-only", .detectionOnly, #line), ("detection_only", .detectionOnly, #line),
            ("off", .off, #line),
        ]
        for (text, mode, line) in modes {
            let config = try TernConfiguration.quick(
                listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [], waf: text
            )
            XCTAssertEqual(config.waf, WAFConfig(mode: mode), line: line)
        }

        let limited = try TernConfiguration.quick(
            listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: ["/api=http://127.0.0.1:9001"],
            rateLimit: "100r/s:200"
        )
        XCTAssertEqual(
            limited.rateLimits,
            [RateLimitPolicyConfig(name: "default", rate: 100, burst: 200, windowSeconds: 1, key: .client, ipv6Prefix: 64)]
        )
        XCTAssertEqual(limited.routes.map(\.rateLimits), [["default"], ["default"]])
        let perMinute = try TernConfiguration.quick(listen: "127.0.0.1:8080", origins: ["http://a"], routes: [], rateLimit: "30r/m")
        XCTAssertEqual(perMinute.rateLimits.first.map { ($0.rate, $0.burst, $0.windowSeconds) }.map { "\($0)" }, "(0.5, 1, 60)")
    }

    func testQuickErrors() {
        // Columns: 1 listen, 2 the origin, 3 --memory, 4 --cache-dir, 5 --disk, 6 --admin, 7 --waf, 8 --rate-limit.
        // (waf, rateLimit, expected (column, fragment) pairs, source line)
        let cases: [(String?, String?, [(Int, String)], UInt)] = [
            ("block", nil, [(7, "--waf: unknown mode 'block' (valid modes: on, detection-only, off)")], #line),
            ("of", nil, [(7, "did you mean 'on'?")], #line),
            (nil, "abc", [(8, "--rate-limit: invalid rate 'abc' (expected <count>r/<unit>")], #line),
            (nil, "0r/s", [(8, "the count before 'r/'")], #line),
            (nil, "10r/x", [(8, "the unit after 'r/' must be s, m or h")], #line),
            (nil, "", [(8, "--rate-limit: invalid rate ''")], #line),
            ("ON", "1r/d", [(7, "--waf: unknown mode 'ON'"), (8, "--rate-limit: invalid rate '1r/d'")], #line),
        ]
        for (waf, rateLimit, expected, line) in cases {
            do {
                let config = try TernConfiguration.quick(
                    listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [], waf: waf, rateLimit: rateLimit
                )
                XCTFail("expected an error, got \(config)", line: line)
            } catch {
                XCTAssertEqual(error.errors.count, expected.count, "\(error)", line: line)
                for (error, (column, fragment)) in zip(error.errors, expected) {
                    XCTAssertEqual(error.file, "<command line>", line: line)
                    XCTAssertEqual(error.line, 0, line: line)
                    XCTAssertEqual(error.column, column, error.description, line: line)
                    XCTAssertTrue(error.description.contains(fragment), error.description, line: line)
                    XCTAssertNotNil(error.hint, error.description, line: line)
                }
            }
        }
    }
}
