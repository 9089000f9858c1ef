import TernConfig
import TernCore
import XCTest

final class QuickConfigTests: XCTestCase {
    func testOriginsFormTheDefaultPool() throws {
        let config = try TernConfiguration.quick(
            listen: "127.0.0.1:8080",
            origins: ["http://127.0.0.1:9000", "http://127.0.0.1:9001"],
            routes: []
        )
        XCTAssertEqual(config.listeners, [ListenerConfig(address: HostPort(host: "127.0.0.1", port: 8080))])
        XCTAssertEqual(
            config.origins,
            [
                OriginPoolConfig(
                    name: "default",
                    kind: .http(
                        HTTPPoolConfig(
                            members: [
                                MemberConfig(url: OriginURL(host: "127.0.0.1", port: 9000)),
                                MemberConfig(url: OriginURL(host: "127.0.0.1", port: 9001)),
                            ],
                            balance: .roundRobin
                        )
                    )
                )
            ]
        )
        XCTAssertEqual(config.routes, [RouteConfig(pathPrefix: "/", origin: "default")])
        XCTAssertEqual(config.limits, .default)
        XCTAssertEqual(config.logging, .default)
    }

    func testRoutesMakeOnePoolEach() throws {
        let config = try TernConfiguration.quick(
            listen: "[::1]:8080",
            origins: ["http://127.0.0.1:9000"],
            routes: ["/api=http://127.0.0.1:9001", "/static=http://[::1]:9002/files"]
        )
        XCTAssertEqual(config.origins.map(\.name), ["default", "route1", "route2"])
        XCTAssertEqual(
            config.routes,
            [
                RouteConfig(pathPrefix: "/", origin: "default"),
                RouteConfig(pathPrefix: "/api", origin: "route1"),
                RouteConfig(pathPrefix: "/static", origin: "route2"),
            ]
        )
        guard case .http(let pool) = config.origin(named: "route2")?.kind else { return XCTFail("not http") }
        XCTAssertEqual(pool.members, [MemberConfig(url: OriginURL(host: "::1", port: 9002, basePath: "/files"))])
    }

    func testRoutesWithoutOrigins() throws {
        let config = try TernConfiguration.quick(listen: "127.0.0.1:0", origins: [], routes: ["/a=http://a.internal"])
        XCTAssertEqual(config.origins.map(\.name), ["route1"])
        XCTAssertEqual(config.routes, [RouteConfig(pathPrefix: "/a", origin: "route1")])
    }

    func testErrors() {
        // (listen, origins, routes, expected (column, fragment) pairs)
        let cases: [(String, [String], [String], [(Int, String)], UInt)] = [
            ("127.0.0.1:8080", [], [], [(0, "at least one --origin or --route is required")], #line),
            ("127.0.0.1", ["http://a"], [], [(1, "--listen: missing port")], #line),
            ("127.0.0.1:70000", ["http://a"], [], [(1, "out of range")], #line),
            ("127.0.0.1:8080", ["https://a"], [], [(2, "--origin: invalid origin URL 'https://a'")], #line),
            ("127.0.0.1:8080", ["http://a", "http://a:80"], [], [(3, "--origin: duplicate origin http://a")], #line),
            ("127.0.0.1:8080", ["http://a"], ["/api"], [(3, "--route: expected /prefix=URL")], #line),
            ("127.0.0.1:8080", ["http://a"], ["api=http://b"], [(3, "must start with '/'")], #line),
            ("127.0.0.1:8080", ["http://a"], ["/=http://b"], [(3, "duplicate route for path /")], #line),
            ("127.0.0.1:8080", [], ["/x=http://b", "/y=ftp://c"], [(3, "--route: invalid origin URL 'ftp://c'")], #line),
            ("nope", ["bad"], ["x"], [(1, "--listen"), (2, "--origin"), (3, "--route")], #line),
        ]
        for (listen, origins, routes, expected, line) in cases {
            do {
                let config = try TernConfiguration.quick(listen: listen, origins: origins, routes: routes)
                XCTFail("expected an error, got \(config)", line: line)
            } catch {
                XCTAssertEqual(error.errors.count, expected.count, "\(error)", line: line)
                for (error, (column, fragment)) in zip(error.errors, expected) {
                    XCTAssertEqual(error.file, "<command line>", line: line)
                    XCTAssertEqual(error.line, 0, line: line)
                    XCTAssertEqual(error.column, column, error.description, line: line)
                    XCTAssertTrue(error.description.contains(fragment), error.description, line: line)
                }
            }
        }
    }
}
