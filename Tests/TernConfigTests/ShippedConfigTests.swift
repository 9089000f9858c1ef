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
