import Foundation
import TernConfig
import TernCore
import XCTest

/// The `admin` section, `cache.tag_headers` / `cache.strip_tag_headers` and quick mode's `--admin`.
final class AdminConfigTests: XCTestCase {
    typealias Case = ConfigErrorCasesTests.Case

    /// Lines 1–6: one listener on 127.0.0.1:8080, one origin, one route.
    static let base = """
        listeners: ["127.0.0.1:8080"]
        origins:
          app:
            members: ["http://127.0.0.1:9000"]
        routes:
          - origin: app

        """

    /// `admin:` on line 7; `body` starts on line 8, indented by two spaces.
    static func withAdmin(_ body: String) -> String {
        base + "admin:\n" + body
    }

    private func parse(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> TernConfiguration? {
        do {
            return try ConfigLoader.parse(yaml: yaml, fileName: "a.yaml", baseDirectory: "/etc/tern")
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    func testAbsentMeansNoAdminListener() throws {
        let config = try XCTUnwrap(self.parse(Self.base))
        XCTAssertNil(config.admin)
        XCTAssertEqual(config.cache.tagHeaders, ["surrogate-key", "cache-tag"])
        XCTAssertTrue(config.cache.stripTagHeaders)
    }

    func testEmptySectionIsTheDefault() throws {
        let config = try XCTUnwrap(self.parse(Self.base + "admin:\n"))
        let admin = try XCTUnwrap(config.admin)
        XCTAssertEqual(admin, AdminConfig.default)
        XCTAssertEqual(admin.listen, HostPort(host: "127.0.0.1", port: 9090))
        XCTAssertEqual(admin.token, .environment("TERN_ADMIN_TOKEN"))
        XCTAssertEqual(admin.allow.map(\.description), ["127.0.0.0/8", "::1/128"])
        XCTAssertFalse(admin.purgeMethod.enabled)
        XCTAssertEqual(admin.purgeMethod.allow, AdminConfig.loopback)
    }

    func testEveryKey() throws {
        let yaml = Self.withAdmin("""
              listen: "[::1]:9191"
              token_file: secrets/admin-token
              allow: [10.0.0.0/8, "::1", 192.168.1.7]
              purge_method:
                enabled: true
                allow: 10.1.0.0/16

            """) + "cache:\n  tag_headers: [Surrogate-Key, x-tags, surrogate-key]\n  strip_tag_headers: false\n"
        let config = try XCTUnwrap(self.parse(yaml))
        let admin = try XCTUnwrap(config.admin)
        XCTAssertEqual(admin.listen, HostPort(host: "::1", port: 9191))
        XCTAssertEqual(admin.token, .file("/etc/tern/secrets/admin-token"))
        XCTAssertEqual(admin.allow.map(\.description), ["10.0.0.0/8", "::1/128", "192.168.1.7/32"])
        XCTAssertEqual(admin.purgeMethod, AdminConfig.PurgeMethod(enabled: true, allow: [IPAddressRange("10.1.0.0/16")!]))
        XCTAssertEqual(config.cache.tagHeaders, ["surrogate-key", "x-tags"])
        XCTAssertFalse(config.cache.stripTagHeaders)
    }

    func testTokenSources() throws {
        let literal = try XCTUnwrap(self.parse(Self.withAdmin("  token: s3cr3t-token\n"))?.admin)
        XCTAssertEqual(literal.token, .literal("s3cr3t-token"))
        XCTAssertEqual(try literal.resolveToken(environment: [:]), "s3cr3t-token")

        let env = try XCTUnwrap(self.parse(Self.withAdmin("  token_env: EDGE_TOKEN\n"))?.admin)
        XCTAssertEqual(env.token, .environment("EDGE_TOKEN"))
        XCTAssertEqual(try env.resolveToken(environment: ["EDGE_TOKEN": " abc \n"]), "abc")
        XCTAssertNil(try env.resolveToken(environment: ["TERN_ADMIN_TOKEN": "other"]))
        XCTAssertNil(try AdminConfig.default.resolveToken(environment: ["TERN_ADMIN_TOKEN": "  "]))
        XCTAssertEqual(try AdminConfig.default.resolveToken(environment: ["TERN_ADMIN_TOKEN": "t"]), "t")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-admin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token").path
        try "from-file\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        XCTAssertEqual(try AdminConfig(token: .file(tokenFile)).resolveToken(environment: [:]), "from-file")
        XCTAssertThrowsError(try AdminConfig(token: .file(directory.appendingPathComponent("missing").path)).resolveToken()) {
            XCTAssertTrue("\($0)".contains("admin.token_file: cannot read"), "\($0)")
        }
        try "\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AdminConfig(token: .file(tokenFile)).resolveToken()) {
            XCTAssertTrue("\($0)".contains("is empty"), "\($0)")
        }
    }

    func testErrors() {
        ConfigErrorCasesTests.assertErrorCases([
            Case(
                name: "unknown admin key", yaml: Self.withAdmin("  listen: \"127.0.0.1:9090\"\n  tokn: x\n"),
                line: 9, column: 3, fragments: ["unknown key 'tokn' in admin", "did you mean 'token'?"], sourceLine: #line
            ),
            Case(
                name: "bad listen address", yaml: Self.withAdmin("  listen: 9090\n"),
                line: 8, column: 11, fragments: ["admin.listen:"], sourceLine: #line
            ),
            Case(
                name: "admin on a data listener", yaml: Self.withAdmin("  listen: \"127.0.0.1:8080\"\n"),
                line: 8, column: 11, fragments: ["admin.listen: 127.0.0.1:8080 is also a data listener"], sourceLine: #line
            ),
            Case(
                name: "two token sources", yaml: Self.withAdmin("  token: abc\n  token_file: /t\n"),
                line: 9, column: 3, fragments: ["admin: token_file cannot be combined with token", "give the token one way"],
                sourceLine: #line
            ),
            Case(
                name: "token with a space", yaml: Self.withAdmin("  token: \"a b\"\n"),
                line: 8, column: 10, fragments: ["admin.token: must not contain spaces"], sourceLine: #line
            ),
            Case(
                name: "token_env with a dollar", yaml: Self.withAdmin("  token_env: $TOKEN\n"),
                line: 8, column: 14, fragments: ["'$TOKEN' is not an environment variable name"], sourceLine: #line
            ),
            Case(
                name: "token_file with ~", yaml: Self.withAdmin("  token_file: ~/token\n"),
                line: 8, column: 15, fragments: ["admin.token_file: '~' is not expanded"], sourceLine: #line
            ),
            Case(
                name: "bad CIDR", yaml: Self.withAdmin("  allow: [127.0.0.1, 10.0.0.0/33]\n"),
                line: 8, column: 22, fragments: ["admin.allow[1]: invalid address or CIDR range '10.0.0.0/33'"],
                sourceLine: #line
            ),
            Case(
                name: "purge_method enabled not a bool", yaml: Self.withAdmin("  purge_method: {enabled: yes}\n"),
                line: 8, column: 27, fragments: ["admin.purge_method.enabled: expected true or false, got 'yes'"],
                sourceLine: #line
            ),
            Case(
                name: "purge_method unknown key", yaml: Self.withAdmin("  purge_method: {enable: true}\n"),
                line: 8, column: 18, fragments: ["unknown key 'enable' in admin.purge_method", "did you mean 'enabled'?"],
                sourceLine: #line
            ),
            Case(
                name: "admin is a scalar", yaml: Self.base + "admin: 127.0.0.1:9090\n",
                line: 7, column: 8, fragments: ["admin: expected a mapping", "listen"], sourceLine: #line
            ),
            Case(
                name: "bad tag header", yaml: Self.base + "cache:\n  tag_headers: [\"x tag\"]\n",
                line: 8, column: 17, fragments: ["cache.tag_headers[0]: 'x tag' is not a valid header name"],
                sourceLine: #line
            ),
            Case(
                name: "strip_tag_headers not a bool", yaml: Self.base + "cache:\n  strip_tag_headers: maybe\n",
                line: 8, column: 22, fragments: ["cache.strip_tag_headers: expected true or false"], sourceLine: #line
            ),
        ])
    }

    // MARK: Quick mode

    func testQuickAdmin() throws {
        let none = try TernConfiguration.quick(listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [])
        XCTAssertNil(none.admin)
        let config = try TernConfiguration.quick(
            listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [], admin: "127.0.0.1:9191"
        )
        XCTAssertEqual(config.admin, AdminConfig(listen: HostPort(host: "127.0.0.1", port: 9191)))
        XCTAssertEqual(config.admin?.token, .environment("TERN_ADMIN_TOKEN"))
    }

    func testQuickAdminErrors() {
        // Columns: 1 listen, 2 the origin, 3 --memory, 4 --cache-dir, 5 --disk, 6 --admin.
        XCTAssertThrowsError(
            try TernConfiguration.quick(listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [], admin: "9090")
        ) { error in
            let errors = (error as? ConfigErrors)?.errors ?? []
            XCTAssertEqual(errors.map(\.column), [6], "\(error)")
            XCTAssertTrue(errors.first?.description.hasPrefix("<command line>:0:6: error: --admin: ") ?? false, "\(error)")
        }
        XCTAssertThrowsError(
            try TernConfiguration.quick(listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [], admin: "127.0.0.1:8080")
        ) { error in
            XCTAssertTrue("\(error)".contains("--admin: 127.0.0.1:8080 is also the --listen address"), "\(error)")
        }
    }
}
