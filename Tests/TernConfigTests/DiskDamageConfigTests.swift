import TernConfig
import TernCore
import XCTest

/// `cache.disk.on_damage`.
final class DiskDamageConfigTests: XCTestCase {
    static let header = "listeners: [\"127.0.0.1:8080\"]\norigins:\n  app:\n    members: [\"http://127.0.0.1:9000\"]\nroutes:\n  - origin: app\n"

    func testValues() throws {
        let cases: [(yaml: String, expected: DiskCacheConfig.DamagePolicy, line: UInt)] = [
            ("cache:\n  disk: {path: /var/cache/tern}\n", .reset, #line),
            ("cache:\n  disk: {path: /var/cache/tern, on_damage: reset}\n", .reset, #line),
            ("cache:\n  disk: {path: /var/cache/tern, on_damage: fail}\n", .fail, #line),
        ]
        for c in cases {
            let config = try ConfigLoader.parse(yaml: Self.header + c.yaml, fileName: "t.yaml", baseDirectory: "/srv")
            XCTAssertEqual(config.cache.disk?.onDamage, c.expected, line: c.line)
        }
    }

    func testErrors() {
        ConfigErrorCasesTests.assertErrorCases([
            .init(
                name: "unknown on_damage",
                yaml: Self.header + "cache:\n  disk: {path: /var/cache/tern, on_damage: repair}\n",
                line: 8, column: 44,
                fragments: ["cache.disk.on_damage: unknown on_damage policy 'repair'", "reset, fail"],
                sourceLine: #line
            ),
        ])
    }
}
