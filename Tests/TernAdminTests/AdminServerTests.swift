import Foundation
import NIOHTTP1
import TernAdmin
import TernConfig
import TernCore
import XCTest

/// The admin listener end to end over loopback: endpoints, status codes, token and ACL checks.
final class AdminServerTests: XCTestCase {
    var admin: TestAdmin!

    override func setUpWithError() throws {
        self.admin = try TestAdmin()
    }

    override func tearDownWithError() throws {
        try self.admin.stop()
    }

    private func purgeBody(_ request: PurgeRequest) -> [UInt8] {
        Array(try! JSONEncoder().encode(request))
    }

    func testHealthz() async throws {
        let response = try await self.admin.client.send(method: .GET, path: "/healthz")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(String(decoding: response.body, as: UTF8.self), "ok\n")
        let head = try await self.admin.client.send(method: .HEAD, path: "/healthz")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, [])
    }

    func testReadyz() async throws {
        var response = try await self.admin.client.send(method: .GET, path: "/readyz")
        XCTAssertEqual(response.status, 200)
        var readiness = try JSONDecoder().decode(Readiness.self, from: Data(response.body))
        XCTAssertTrue(readiness.ready)
        XCTAssertEqual(readiness.checks.map(\.name), ["config", "listeners", "disk_tier", "pool:app"])

        self.admin.backend.setReady(false)
        response = try await self.admin.client.send(method: .GET, path: "/readyz")
        XCTAssertEqual(response.status, 503)
        readiness = try JSONDecoder().decode(Readiness.self, from: Data(response.body))
        XCTAssertFalse(readiness.ready)
        XCTAssertEqual(readiness.checks.last, .init(name: "pool:app", ok: false, detail: "0 of 2 members healthy"))
    }

    func testStatsIsTheSnapshotWithRatios() async throws {
        let (response, snapshot) = try await self.admin.client.stats()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers.first(name: "content-type"), "application/json")
        let decoded = try XCTUnwrap(snapshot)
        XCTAssertEqual(decoded, FakeBackend.snapshot(step: 1).withDerivedRatios())
        XCTAssertGreaterThan(decoded.cache.hitRatio, 0.5)
        XCTAssertEqual(decoded.bytes.hitRatio, 800.0 / 901.0, accuracy: 1e-9)
    }

    func testMetricsContentType() async throws {
        let response = try await self.admin.client.send(method: .GET, path: "/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers.first(name: "content-type"), "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertTrue(String(decoding: response.body, as: UTF8.self).contains("# TYPE tern_requests_total counter"))
    }

    func testDashboardIsSelfContained() async throws {
        let response = try await self.admin.client.send(method: .GET, path: "/?refresh=1")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers.first(name: "content-type"), "text/html; charset=utf-8")
        let html = String(decoding: response.body, as: UTF8.self)
        XCTAssertTrue(html.contains("<canvas id=\"chart-hit\""))
        for external in ["src=\"http", "href=\"http", "src=\"//", "@import", "url(http"] {
            XCTAssertFalse(html.contains(external), "the dashboard must not load \(external)…")
        }
    }

    func testUnknownPathAndWrongMethod() async throws {
        let missing = try await self.admin.client.send(method: .GET, path: "/nope")
        XCTAssertEqual(missing.status, 404)
        XCTAssertTrue(missing.errorMessage.contains("no such endpoint"))
        let wrong = try await self.admin.client.send(method: .GET, path: "/purge")
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.headers.first(name: "allow"), "POST")
        let wrongPost = try await self.admin.client.send(method: .POST, path: "/stats", body: [])
        XCTAssertEqual(wrongPost.status, 405)
        XCTAssertEqual(wrongPost.headers.first(name: "allow"), "GET, HEAD")
    }

    func testPurgeNeedsTheToken() async throws {
        let request = PurgeRequest(tags: ["product-42"])
        let without = try await self.admin.client.purge(request, token: nil)
        XCTAssertEqual(without.0.status, 401)
        XCTAssertEqual(without.0.headers.first(name: "www-authenticate"), "Bearer realm=\"tern-admin\"")
        let wrong = try await self.admin.client.purge(request, token: "test-token-0123456789abcdeX")
        XCTAssertEqual(wrong.0.status, 401)
        XCTAssertEqual(wrong.0.errorMessage, "invalid token")
        let basic = try await self.admin.client.send(
            method: .POST, path: "/purge", headers: [("Authorization", "Basic dXNlcjpwYXNz")], body: self.purgeBody(request)
        )
        XCTAssertEqual(basic.status, 401)
        XCTAssertEqual(self.admin.backend.purges, [], "nothing reaches the backend without the token")

        let (response, result) = try await self.admin.client.purge(request, token: TestAdmin.token)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(result, PurgeResult(matched: 1, purged: 1, soft: false, dryRun: false, sample: ["http://example.com/tagged/product-42"]))
        XCTAssertEqual(self.admin.backend.purges, [request])
    }

    func testPurgeWithoutConfiguredTokenIsForbidden() async throws {
        let open = try TestAdmin(token: nil)
        defer { try? open.stop() }
        let (response, _) = try await open.client.purge(PurgeRequest(all: true), token: "anything")
        XCTAssertEqual(response.status, 403)
        XCTAssertTrue(response.errorMessage.contains("TERN_ADMIN_TOKEN"), response.errorMessage)
        XCTAssertEqual(open.backend.purges, [])
        // Read-only endpoints still work.
        let stats = try await open.client.send(method: .GET, path: "/stats")
        XCTAssertEqual(stats.status, 200)
    }

    func testPurgeValidation() async throws {
        let auth = [("Authorization", "Bearer \(TestAdmin.token)")]
        let garbage = try await self.admin.client.send(method: .POST, path: "/purge", headers: auth, body: Array("{urls:".utf8))
        XCTAssertEqual(garbage.status, 400)
        let empty = try await self.admin.client.send(method: .POST, path: "/purge", headers: auth, body: Array("{}".utf8))
        XCTAssertEqual(empty.status, 400)
        XCTAssertTrue(empty.errorMessage.contains("nothing selected"))
        let relative = try await self.admin.client.send(
            method: .POST, path: "/purge", headers: auth, body: Array(#"{"urls": ["example.com/a"]}"#.utf8)
        )
        XCTAssertEqual(relative.status, 400)
        let tooLarge = try await self.admin.client.send(
            method: .POST, path: "/purge", headers: auth,
            body: Array(#"{"urls": ["/"# .utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 70_000) + Array(#""]}"#.utf8)
        )
        XCTAssertEqual(tooLarge.status, 413)
        XCTAssertEqual(self.admin.backend.purges, [])
        // Missing keys default: soft/dryRun false, lists empty.
        let minimal = try await self.admin.client.send(
            method: .POST, path: "/purge", headers: auth, body: Array(#"{"tags": ["a"], "dryRun": true}"#.utf8)
        )
        XCTAssertEqual(minimal.status, 200)
        XCTAssertEqual(self.admin.backend.purges, [PurgeRequest(tags: ["a"], dryRun: true)])
    }

    func testACLRefusesOtherClients() async throws {
        let closed = try TestAdmin(allow: [IPAddressRange("10.0.0.0/8")!])
        defer { try? closed.stop() }
        for path in ["/healthz", "/stats", "/"] {
            let response = try await closed.client.send(method: .GET, path: path)
            XCTAssertEqual(response.status, 403, path)
            XCTAssertTrue(response.errorMessage.contains("127.0.0.1 is not in admin.allow"), response.errorMessage)
        }
        let (purge, _) = try await closed.client.purge(PurgeRequest(all: true), token: TestAdmin.token)
        XCTAssertEqual(purge.status, 403)
        XCTAssertEqual(closed.backend.purges, [])
    }
}
