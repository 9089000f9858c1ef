import NIOPosix
import TernAdmin
import TernCore
import XCTest

/// The logic behind `tern purge` and `tern stats`, against real admin servers with fake backends.
final class AdminCommandTests: XCTestCase {
    func testExitCodeMapping() {
        typealias Report = NodeReport<PurgeResult>
        let ok = PurgeResult(matched: 1, purged: 1, soft: false, dryRun: false)
        XCTAssertEqual(Report.classify(node: "n", status: 200, message: "", value: ok).exitCode, .ok)
        XCTAssertEqual(Report.classify(node: "n", status: 200, message: "", value: nil).exitCode, .nodeFailed)
        XCTAssertEqual(Report.classify(node: "n", status: 401, message: "", value: nil).exitCode, .authentication)
        XCTAssertEqual(Report.classify(node: "n", status: 403, message: "", value: nil).exitCode, .authentication)
        XCTAssertEqual(Report.classify(node: "n", status: 400, message: "", value: nil).exitCode, .usage)
        XCTAssertEqual(Report.classify(node: "n", status: 413, message: "", value: nil).exitCode, .usage)
        XCTAssertEqual(Report.classify(node: "n", status: 500, message: "", value: nil).exitCode, .nodeFailed)
        XCTAssertEqual(Report.classify(node: "n", status: 503, message: "", value: nil).exitCode, .nodeFailed)
        XCTAssertEqual(AdminExitCode.combined([.ok, .ok]), .ok)
        XCTAssertEqual(AdminExitCode.combined([.ok, .nodeFailed]), .nodeFailed)
        XCTAssertEqual(AdminExitCode.combined([.nodeFailed, .authentication, .usage]), .authentication)
        XCTAssertEqual(AdminExitCode.combined([.nodeFailed, .usage]), .usage)
        XCTAssertEqual(AdminExitCode.combined([]), .usage)
        XCTAssertEqual(AdminExitCode.allCases.map(\.rawValue), [0, 1, 2, 3])
    }

    func testEndpointParsing() {
        XCTAssertEqual(AdminClient.Endpoint("http://127.0.0.1:9090")?.description, "http://127.0.0.1:9090")
        XCTAssertEqual(AdminClient.Endpoint("127.0.0.1:9090/")?.port, 9090)
        XCTAssertEqual(AdminClient.Endpoint("http://[::1]:9090/base/")?.description, "http://[::1]:9090/base")
        XCTAssertEqual(AdminClient.Endpoint("http://admin.internal")?.port, 80)
        XCTAssertNil(AdminClient.Endpoint("https://127.0.0.1:9090"))
        XCTAssertNil(AdminClient.Endpoint("http://:9090"))
        XCTAssertNil(AdminClient.Endpoint("http://h:0"))
        XCTAssertNil(AdminClient.Endpoint("http://u@h:1"))
    }

    func testFanOutToTwoNodes() async throws {
        let a = try TestAdmin(), b = try TestAdmin()
        defer { try? a.stop(); try? b.stop() }
        let request = PurgeRequest(tags: ["product-42"], soft: true)
        let reports = await PurgeFanOut.run(request, nodes: [a.url, b.url], token: TestAdmin.token, group: MultiThreadedEventLoopGroup.singleton)
        XCTAssertEqual(reports.map(\.node), [a.url, b.url])
        XCTAssertEqual(reports.map(\.exitCode), [.ok, .ok])
        XCTAssertEqual(a.backend.purges, [request])
        XCTAssertEqual(b.backend.purges, [request])
        XCTAssertEqual(AdminExitCode.combined(reports.map(\.exitCode)), .ok)
        let text = PurgeFanOut.text(reports)
        XCTAssertTrue(text.contains("\(a.url): purged 1 of 1 matched object(s) (soft: marked stale)"), text)
        let json = PurgeFanOut.json(reports)
        XCTAssertTrue(json.contains(#""exitCode" : 0"#), json)
    }

    func testFanOutReportsEachFailure() async throws {
        let good = try TestAdmin()
        let noToken = try TestAdmin(token: nil)
        let gone = try TestAdmin()
        let goneURL = gone.url
        try gone.stop()
        defer { try? good.stop(); try? noToken.stop() }

        let request = PurgeRequest(urls: ["http://example.com/a"])
        let group = MultiThreadedEventLoopGroup.singleton
        var reports = await PurgeFanOut.run(request, nodes: [good.url, goneURL], token: TestAdmin.token, group: group)
        XCTAssertEqual(reports.map(\.exitCode), [.ok, .nodeFailed])
        XCTAssertEqual(AdminExitCode.combined(reports.map(\.exitCode)), .nodeFailed)
        XCTAssertTrue(PurgeFanOut.text(reports).contains("\(goneURL): FAILED: cannot connect"), PurgeFanOut.text(reports))

        reports = await PurgeFanOut.run(request, nodes: [good.url, noToken.url], token: TestAdmin.token, group: group)
        XCTAssertEqual(reports.map(\.exitCode), [.ok, .authentication])
        XCTAssertEqual(AdminExitCode.combined(reports.map(\.exitCode)), .authentication)

        reports = await PurgeFanOut.run(request, nodes: [good.url], token: "wrong", group: group)
        XCTAssertEqual(reports.map(\.exitCode), [.authentication])
        guard case .authentication(401, "invalid token") = reports[0].outcome else {
            return XCTFail("\(reports[0].outcome)")
        }
        XCTAssertEqual(good.backend.purges.count, 2, "the wrong token changed nothing")

        reports = await PurgeFanOut.run(request, nodes: ["not a url"], token: nil, group: group)
        XCTAssertEqual(reports.map(\.exitCode), [.usage])
    }

    func testStats() async throws {
        let node = try TestAdmin()
        defer { try? node.stop() }
        let (text, code) = await StatsCommandLogic.fetch(client: node.client, json: false)
        XCTAssertEqual(code, .ok)
        XCTAssertTrue(text.hasPrefix("tern at \(node.url), up 1h 0m 1s"), text)
        XCTAssertTrue(text.contains("hits 700 memory + 120 disk"), text)
        XCTAssertTrue(text.contains("memory  200.0 MiB of 256.0 MiB (78.1%)"), text)
        XCTAssertTrue(text.contains("app http://127.0.0.1:9002 EJECTED"), text)
        XCTAssertTrue(text.contains("blocks 949110 × 12, 920350 × 3"), text)

        let (json, jsonCode) = await StatsCommandLogic.fetch(client: node.client, json: true)
        XCTAssertEqual(jsonCode, .ok)
        let decoded = try StatsSnapshot.makeDecoder().decode(StatsSnapshot.self, from: Data(json.utf8))
        XCTAssertEqual(decoded.requests, FakeBackend.snapshot(step: 2).requests)

        let closed = try TestAdmin(allow: [IPAddressRange("10.0.0.0/8")!])
        defer { try? closed.stop() }
        let (refused, refusedCode) = await StatsCommandLogic.fetch(client: closed.client, json: false)
        XCTAssertEqual(refusedCode, .authentication)
        XCTAssertTrue(refused.contains("403"), refused)

        let gone = AdminClient(endpoint: AdminClient.Endpoint("http://127.0.0.1:1")!, group: MultiThreadedEventLoopGroup.singleton)
        let (_, goneCode) = await StatsCommandLogic.fetch(client: gone, json: false)
        XCTAssertEqual(goneCode, .nodeFailed)
    }
}
