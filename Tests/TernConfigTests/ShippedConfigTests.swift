import Foundation
import TernConfig
import TernCore
import XCTest

/// The configuration files shipped in `Config/` must always load.
final class ShippedConfigTests: XCTestCase {
    /// The repository's `Config` directory, found from this file's path.
    private var configDirectory: String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TernConfigTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // repository root
            .appendingPathComponent("Config")
            .path
    }

    func testDefaultConfigLoads() throws {
        let path = self.configDirectory + "/tern.yaml"
        let config: TernConfiguration
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            return XCTFail("\(error)")
        }
        XCTAssertEqual(config.listeners, [ListenerConfig(address: HostPort(host: "127.0.0.1", port: 8080))])
        XCTAssertEqual(config.routes, [RouteConfig(pathPrefix: "/", origin: "site")])
        guard case .file(let site) = config.origin(named: "site")?.kind else { return XCTFail("site is not a file origin") }
        XCTAssertTrue(site.root.hasSuffix("/Config/site"), site.root)
        XCTAssertTrue(site.root.hasPrefix("/"), site.root)
        XCTAssertEqual(site.cacheControl, "public, max-age=60")
        XCTAssertEqual(site.index, ["index.html"])
        XCTAssertEqual(config.logging.access, AccessLogConfig(destination: .stdout, format: .combined))
        XCTAssertEqual(config.cache, .default)
    }

    /// The commented `cache:` block in `tern.yaml` spells out the defaults: uncommented, it changes nothing.
    func testDefaultConfigCommentedCacheBlockIsTheDefault() throws {
        let text = try String(contentsOfFile: self.configDirectory + "/tern.yaml", encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "# cache:") else { return XCTFail("no commented cache block") }
        let block = lines[start...].prefix { $0 == "# cache:" || $0.hasPrefix("#   ") }.map { $0.dropFirst(2) }
        XCTAssertGreaterThan(block.count, 5)
        let uncommented = text + "\n" + block.joined(separator: "\n") + "\n"
        let config: TernConfiguration
        do {
            config = try ConfigLoader.parse(yaml: uncommented, fileName: "tern.yaml", baseDirectory: self.configDirectory)
        } catch {
            return XCTFail("\(error)")
        }
        XCTAssertEqual(config.cache, .default)
    }

    func testProxyExampleLoads() throws {
        let config: TernConfiguration
        do {
            config = try ConfigLoader.load(path: self.configDirectory + "/examples/proxy.yaml")
        } catch {
            return XCTFail("\(error)")
        }
        XCTAssertEqual(config.origins.map(\.name), ["app", "assets"])
        guard case .http(let app) = config.origin(named: "app")?.kind,
            case .http(let assets) = config.origin(named: "assets")?.kind
        else { return XCTFail("pools are not http") }
        XCTAssertEqual(app.balance, .roundRobin)
        XCTAssertEqual(app.members.map(\.weight), [3, 1])
        XCTAssertNotNil(app.healthCheck)
        XCTAssertEqual(assets.balance, .consistentHash)
        XCTAssertTrue(config.routes.allSatisfy { config.origin(named: $0.origin) != nil })
        XCTAssertEqual(
            config.cache,
            CacheConfig(
                memory: .gibibytes(1), memoryMaxObjectSize: .mebibytes(8), maxObjectSize: .mebibytes(512),
                disk: DiskCacheConfig(path: "/var/cache/tern", size: .gibibytes(100), mapSize: .gibibytes(128)),
                admission: .diskFirst
            )
        )
        XCTAssertEqual(
            config.routes.map(\.cache),
            [
                RouteCacheConfig(key: CacheKeyConfig(query: .drop), forceTTL: .seconds(3600)),
                RouteCacheConfig(key: CacheKeyConfig(query: .deny(["utm_source", "utm_medium", "utm_campaign", "fbclid"]))),
                RouteCacheConfig(bypass: true),
                RouteCacheConfig(
                    key: CacheKeyConfig(query: .sort, headers: ["accept-language"], cookies: ["currency"]),
                    minTTL: .seconds(10), negativeTTL: .seconds(30)
                ),
            ]
        )
        if case .file(let path) = config.logging.access.destination {
            XCTAssertTrue(path.hasSuffix("/Config/examples/logs/access.log"), path)
        } else {
            XCTFail("expected a file access log")
        }
    }

    func testLoadResolvesRelativePathsAgainstTheFile() throws {
        let directory = NSTemporaryDirectory() + "tern-config-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/t.yaml"
        try """
            listeners: ["127.0.0.1:8080"]
            origins: {site: {type: file, root: ./public}}
            routes: [{origin: site}]
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let config: TernConfiguration
        do {
            config = try ConfigLoader.load(path: path)
        } catch {
            return XCTFail("\(error)")
        }
        guard case .file(let site) = config.origin(named: "site")?.kind else { return XCTFail("not a file origin") }
        XCTAssertTrue(site.root.hasSuffix("tern-config-\(getpid())/public"), site.root)
    }
}
