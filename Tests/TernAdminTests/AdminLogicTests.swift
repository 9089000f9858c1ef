import NIOHTTP1
import TernAdmin
import TernConfig
import TernCore
import XCTest

/// Pure pieces: token comparison, routing, purge selection.
final class AdminLogicTests: XCTestCase {
    func testAuthorization() {
        let token = "s3cret"
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Bearer s3cret", token: token), .allowed)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "bearer   s3cret", token: token), .allowed)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Bearer s3cre", token: token), .wrongToken)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Bearer s3cretX", token: token), .wrongToken)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Bearer ", token: token), .missingCredentials)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Basic czNjcmV0", token: token), .missingCredentials)
        XCTAssertEqual(AdminAuthorization.decide(authorization: nil, token: token), .missingCredentials)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Bearer s3cret", token: nil), .notConfigured)
        XCTAssertEqual(AdminAuthorization.decide(authorization: "Bearer ", token: ""), .notConfigured)
        XCTAssertTrue(AdminAuthorization.constantTimeEqual([], []))
        XCTAssertFalse(AdminAuthorization.constantTimeEqual([1], [1, 0]))
        XCTAssertFalse(AdminAuthorization.constantTimeEqual([1, 2], [1, 3]))
    }

    /// Issue 12: the admin listener answers only requests naming one of its hosts (DNS rebinding), and
    /// refuses ambiguous credentials.
    func testHostAndAuthorizationChecks() {
        let responder = AdminResponder(backend: FakeBackend(), token: "t", allow: AdminConfig.loopback, hosts: AdminConfig().allowedHosts)
        func status(_ fields: [(String, String)]) -> UInt? {
            responder.checkHeaders(HTTPHeaders(fields)).map { $0.status.code }
        }
        for host in ["127.0.0.1:9090", "localhost", "LOCALHOST:9090", "localhost.", "[::1]:9090", "127.0.0.1"] {
            XCTAssertNil(status([("Host", host)]), host)
        }
        for host in ["evil.example", "evil.example:9090", "127.0.0.2", "localhost.evil.example", "h/evil", ""] {
            XCTAssertEqual(status([("Host", host)]), 421, host)
        }
        XCTAssertEqual(status([]), 421, "no Host")
        XCTAssertEqual(status([("Host", "localhost"), ("Host", "localhost")]), 400)
        XCTAssertEqual(status([("Host", "localhost"), ("Authorization", "Bearer t"), ("authorization", "Bearer x")]), 400)
        // A request to /stats from a rebound name never reaches the backend.
        guard case .respond(let response) = responder.action(head: HTTPRequestHead(version: .http1_1, method: .GET, uri: "/stats", headers: HTTPHeaders([("Host", "evil.example")])), body: []) else {
            return XCTFail("expected a response")
        }
        XCTAssertEqual(response.status, .misdirectedRequest)
        // Configured names replace the defaults; the listener's own address is a default.
        XCTAssertEqual(AdminConfig(listen: HostPort(host: "10.0.0.5", port: 9090)).allowedHosts, ["localhost", "127.0.0.1", "[::1]", "10.0.0.5"])
        XCTAssertEqual(AdminConfig(listen: HostPort(host: "0.0.0.0", port: 9090)).allowedHosts, ["localhost", "127.0.0.1", "[::1]"])
        let custom = AdminResponder(backend: FakeBackend(), token: "t", allow: AdminConfig.loopback, hosts: ["tern-admin.internal"])
        XCTAssertNil(custom.checkHeaders(HTTPHeaders([("Host", "Tern-Admin.Internal:9090")])))
        XCTAssertNotNil(custom.checkHeaders(HTTPHeaders([("Host", "localhost")])))
    }

    func testRouting() {
        XCTAssertEqual(AdminRoute.decide(method: .GET, uri: "/"), .endpoint(.dashboard))
        XCTAssertEqual(AdminRoute.decide(method: .HEAD, uri: "/healthz"), .endpoint(.healthz))
        XCTAssertEqual(AdminRoute.decide(method: .GET, uri: "/stats?pretty=1"), .endpoint(.stats))
        XCTAssertEqual(AdminRoute.decide(method: .POST, uri: "/purge"), .endpoint(.purge))
        XCTAssertEqual(AdminRoute.decide(method: .GET, uri: "/purge"), .methodNotAllowed(allow: "POST"))
        XCTAssertEqual(AdminRoute.decide(method: .DELETE, uri: "/metrics"), .methodNotAllowed(allow: "GET, HEAD"))
        XCTAssertEqual(AdminRoute.decide(method: .GET, uri: "/stats/"), .notFound)
        XCTAssertEqual(AdminRoute.decide(method: .GET, uri: "/../etc/passwd"), .notFound)
        XCTAssertEqual(AdminRoute.allCases.filter(\.isMutating), [.purge])
    }

    func testPathPrefixIsAnchoredAtSegments() {
        XCTAssertTrue(PurgeRequest.pathPrefix("/a", matches: "/a"))
        XCTAssertTrue(PurgeRequest.pathPrefix("/a", matches: "/a/b"))
        XCTAssertTrue(PurgeRequest.pathPrefix("/a", matches: "/a?x=1"))
        XCTAssertFalse(PurgeRequest.pathPrefix("/a", matches: "/ab"))
        XCTAssertFalse(PurgeRequest.pathPrefix("/a", matches: "/b/a"))
        XCTAssertTrue(PurgeRequest.pathPrefix("/a/", matches: "/a/b"))
        XCTAssertFalse(PurgeRequest.pathPrefix("/a/", matches: "/a"))
        XCTAssertTrue(PurgeRequest.pathPrefix("/", matches: "/anything"))
    }

    func testSelection() {
        let tags = ["product-42", "home"]
        func matches(_ request: PurgeRequest, _ host: String = "example.com", _ path: String = "/shop/item?id=1") -> Bool {
            request.matches(host: host, pathAndQuery: path, tags: tags)
        }
        XCTAssertTrue(matches(PurgeRequest(all: true)))
        XCTAssertFalse(matches(PurgeRequest()))
        XCTAssertTrue(matches(PurgeRequest(urls: ["http://Example.com:8080/shop/item?id=1"])))
        XCTAssertTrue(matches(PurgeRequest(urls: ["/shop/item?id=1"])), "a path-only URL matches every host")
        XCTAssertFalse(matches(PurgeRequest(urls: ["http://example.com/shop/item"])), "the query is part of the URL")
        XCTAssertFalse(matches(PurgeRequest(urls: ["http://other.com/shop/item?id=1"])))
        XCTAssertTrue(matches(PurgeRequest(prefixes: ["/shop"])))
        XCTAssertFalse(matches(PurgeRequest(prefixes: ["/sho"])))
        XCTAssertTrue(matches(PurgeRequest(prefixes: ["https://example.com/shop/"])))
        XCTAssertFalse(matches(PurgeRequest(prefixes: ["http://other.com/shop/"])))
        XCTAssertTrue(matches(PurgeRequest(hosts: ["EXAMPLE.com"])))
        XCTAssertFalse(matches(PurgeRequest(hosts: ["www.example.com"])))
        XCTAssertTrue(matches(PurgeRequest(tags: ["home"])))
        XCTAssertFalse(matches(PurgeRequest(tags: ["Home"])), "tags are case-sensitive")
        XCTAssertTrue(matches(PurgeRequest(hosts: ["nope"], tags: ["product-42"])), "selectors are combined with OR")
        XCTAssertEqual(PurgeRequest.split("http://[::1]:9000").host, "[::1]")
        XCTAssertEqual(PurgeRequest.split("http://[::1]:9000").pathAndQuery, "/")
        XCTAssertEqual(PurgeRequest.split("http://h?x").pathAndQuery, "/?x")
    }

    func testPurgeResultSampleIsCapped() {
        let result = PurgeResult(matched: 500, purged: 500, soft: false, dryRun: false, sample: (0..<500).map { "k\($0)" })
        XCTAssertEqual(result.sample.count, 100)
    }
}
