import Foundation
import TernServer
import TernTesting
import XCTest

/// The bundled default configuration and the file origin through the real server.
final class FileOriginIntegrationTests: XCTestCase {
    var tern: TernServer!

    override func tearDown() {
        self.tern?.shutdown()
    }

    private func startSite() throws {
        let site = repositoryRoot.appendingPathComponent("Config/site").path
        self.tern = try startTern("""
            \(testListenerYAML)
            origins:
              site:
                type: file
                root: \(site)
                cache_control: "public, max-age=60"
            routes:
              - path: /
                origin: site
            """)
    }

    func testServesSampleSiteWithValidatorsConditionalsAndRanges() throws {
        try self.startSite()
        let index = try get(self.tern.port, "/")
        XCTAssertEqual(index.status, 200)
        XCTAssertTrue(index.header("Content-Type")?.hasPrefix("text/html") ?? false)
        XCTAssertEqual(index.header("Cache-Control"), "public, max-age=60")
        let etag = try XCTUnwrap(index.header("ETag"))
        XCTAssertFalse(etag.hasPrefix("W/"), "file ETags are strong")
        XCTAssertNotNil(index.header("Last-Modified"))
        let onDisk = try Data(contentsOf: repositoryRoot.appendingPathComponent("Config/site/index.html"))
        XCTAssertEqual(Data(index.body), onDisk)

        let notModified = try get(self.tern.port, "/", headers: [("If-None-Match", etag)])
        XCTAssertEqual(notModified.status, 304)
        XCTAssertTrue(notModified.body.isEmpty)

        let range = try get(self.tern.port, "/index.html", headers: [("Range", "bytes=0-9")])
        XCTAssertEqual(range.status, 206)
        XCTAssertEqual(range.body, Array(onDisk.prefix(10)))
        XCTAssertEqual(range.header("Content-Range"), "bytes 0-9/\(onDisk.count)")

        let multi = try get(self.tern.port, "/index.html", headers: [("Range", "bytes=0-1,4-5")])
        XCTAssertEqual(multi.status, 206)
        XCTAssertTrue(multi.header("Content-Type")?.hasPrefix("multipart/byteranges") ?? false)

        for escape in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/css/..%2F..%2F..%2Fetc%2Fpasswd"] {
            let status = try get(self.tern.port, escape).status
            XCTAssertTrue([400, 404].contains(status), "\(escape) answered \(status)")
        }
        XCTAssertEqual(try get(self.tern.port, "/missing.html").status, 404)
    }

    func testBundledDefaultConfigParsesAndServes() throws {
        // Config/tern.yaml is what `make run` serves: it must load and serve the sample site.
        let path = repositoryRoot.appendingPathComponent("Config/tern.yaml").path
        var configuration = try ConfigLoaderShim.load(path)
        configuration.listeners = [.init(address: .init(host: "127.0.0.1", port: 0))]
        configuration.logging.access.destination = .off
        self.tern = try TernServer(configuration: configuration)
        let response = try get(self.tern.port, "/")
        XCTAssertEqual(response.status, 200)
        XCTAssertTrue(response.bodyString.contains("<html"))
    }
}

import TernConfig
import TernCore

enum ConfigLoaderShim {
    static func load(_ path: String) throws -> TernConfiguration { try ConfigLoader.load(path: path) }
}
