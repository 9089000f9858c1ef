import TernConfig
import TernCore
import XCTest

final class ConfigLoaderTests: XCTestCase {
    private func url(_ text: String) -> OriginURL {
        guard let url = OriginURL.parse(text) else { preconditionFailure("bad test URL \(text)") }
        return url
    }

    private func hostPort(_ text: String) -> HostPort {
        guard let value = HostPort.parse(text) else { preconditionFailure("bad test address \(text)") }
        return value
    }

    func testMinimalConfigGetsDefaults() throws {
        let yaml = """
            listeners: ["127.0.0.1:8080"]
            origins:
              app:
                members: ["http://127.0.0.1:9000"]
            routes:
              - origin: app
            """
        let config = try ConfigLoader.parse(yaml: yaml, fileName: "min.yaml", baseDirectory: "/srv")
        let expected = TernConfiguration(
            listeners: [ListenerConfig(address: hostPort("127.0.0.1:8080"))],
            origins: [
                OriginPoolConfig(name: "app", kind: .http(HTTPPoolConfig(members: [MemberConfig(url: url("http://127.0.0.1:9000"))])))
            ],
            routes: [RouteConfig(host: nil, pathPrefix: "/", origin: "app")]
        )
        XCTAssertEqual(config, expected)
        XCTAssertEqual(config.limits, .default)
        XCTAssertEqual(config.limits.maxHeaderBytes, ByteCount(16384))
        XCTAssertEqual(config.limits.maxURIBytes, ByteCount(8192))
        XCTAssertNil(config.limits.maxRequestBody)
        XCTAssertEqual(config.limits.keepAliveTimeout, .seconds(75))
        XCTAssertEqual(config.proxy.via, "tern")
        XCTAssertEqual(config.proxy.hideResponseHeaders, ["server", "x-powered-by"])
        XCTAssertEqual(config.logging.access, AccessLogConfig(destination: .stdout, format: .combined))
        XCTAssertEqual(config.logging.level, "info")
        XCTAssertNil(config.workers)
        XCTAssertEqual(config.shutdownTimeout, .seconds(30))
        guard case .http(let pool) = config.origin(named: "app")?.kind else { return XCTFail("not http") }
        XCTAssertEqual(pool.balance, .roundRobin)
        XCTAssertNil(pool.healthCheck)
        XCTAssertEqual(pool.passive, PassiveHealthConfig(maxFailures: 3, cooldown: .seconds(10)))
        XCTAssertEqual(pool.timeouts, UpstreamTimeouts(connect: .seconds(2), firstByte: .seconds(30), idle: .seconds(60)))
        XCTAssertEqual(pool.connections, ConnectionPoolConfig(maxIdle: 32, maxTotal: 1024, idleTimeout: .seconds(60)))
        XCTAssertEqual(pool.hostHeader, .preserve)
        XCTAssertTrue(pool.retryIdempotent)
        XCTAssertNil(config.origin(named: "missing"))
        // Issue 12 defaults: encoded slashes refused, `_` fields dropped, override fields stripped, 32 variants.
        XCTAssertEqual(config.listeners[0].encodedSlashes, .reject)
        XCTAssertEqual(config.limits.underscoresInHeaders, .drop)
        XCTAssertEqual(config.routes[0].stripRequestFields, RouteConfig.defaultStrippedRequestFields)
        XCTAssertTrue(config.routes[0].stripRequestFields.contains("x-original-url"))
        XCTAssertEqual(config.cache.maxVariants, 32)
        XCTAssertNil(config.admin?.hosts)
    }

    func testCanonicalisationSettings() throws {
        let yaml = """
            listeners:
              - {address: "127.0.0.1:8080", encoded_slashes: keep}
              - {address: "127.0.0.1:8081", encoded_slashes: decode}
            origins:
              app:
                members: ["http://127.0.0.1:9000"]
            routes:
              - origin: app
                strip_request_fields: [X-Debug, x-debug, X-Host]
              - {path: /raw, origin: app, strip_request_fields: []}
            limits:
              underscores_in_headers: keep
            cache:
              max_variants: 4
            admin:
              hosts: [Admin.Internal, "::1", 10.0.0.5]
            """
        let config = try ConfigLoader.parse(yaml: yaml, fileName: "c.yaml", baseDirectory: "/srv")
        XCTAssertEqual(config.listeners.map(\.encodedSlashes), [.keep, .decode])
        XCTAssertEqual(config.routes[0].stripRequestFields, ["x-debug", "x-host"])
        XCTAssertEqual(config.routes[1].stripRequestFields, [])
        XCTAssertEqual(config.limits.underscoresInHeaders, .keep)
        XCTAssertEqual(config.cache.maxVariants, 4)
        XCTAssertEqual(config.admin?.hosts, ["admin.internal", "[::1]", "10.0.0.5"])
        XCTAssertEqual(config.admin?.allowedHosts, ["admin.internal", "[::1]", "10.0.0.5"])
    }

    func testFullExampleRoundTrip() throws {
        let yaml = """
            listeners:
              - address: "0.0.0.0:8080"
              - address: "[::1]:8443"
            origins:
              app:
                type: http
                balance: least_connections
                members:
                  - url: "http://10.0.0.1:9000"
                    weight: 5
                  - "http://[fd00::2]:9000/base/"
                health_check:
                  path: /healthz
                  interval: 10s
                  timeout: 1500ms
                  expect_status: 204
                  rise: 1
                  fall: 5
                passive_health: {max_failures: 0, cooldown: 1m}
                timeouts: {connect: 250ms, first_byte: 1m, idle: 2m}
                connections: {max_idle: 4, max_total: 16, idle_timeout: 15s}
                host_header: origin
                retry: false
              hashed:
                balance: consistent_hash
                members: ["http://h1.internal:81", "http://h2.internal:81"]
                host_header: backend.example.com
                health_check: {}
              site:
                type: file
                root: ../www/./site/
                cache_control: "public, max-age=60"
                index: [index.html, index.htm]
            routes:
              - host: API.Example.com
                path: /v1
                origin: app
              - host: "*.example.com"
                origin: hashed
              - path: /
                origin: site
            limits:
              max_header_bytes: 32k
              max_header_count: 50
              max_uri_bytes: 4KiB
              max_request_body: 10MB
              header_timeout: 5s
              body_idle_timeout: 20s
              keep_alive_timeout: 0s
              max_connections: 500
              max_requests_per_connection: 1000
            proxy:
              trusted_proxies: [10.0.0.0/8, "::1", 192.168.0.7]
              forwarded: true
              via: edge-1
              hide_response_headers: [Server, X-Powered-By, X-AspNet-Version]
            logging:
              level: debug
              access:
                path: logs/access.log
                format: json
            workers: 4
            shutdown_timeout: 1m30s
            """
        let config = try ConfigLoader.parse(yaml: yaml, fileName: "full.yaml", baseDirectory: "/etc/tern")
        let expected = TernConfiguration(
            listeners: [
                ListenerConfig(address: HostPort(host: "0.0.0.0", port: 8080)),
                ListenerConfig(address: HostPort(host: "::1", port: 8443)),
            ],
            origins: [
                OriginPoolConfig(
                    name: "app",
                    kind: .http(
                        HTTPPoolConfig(
                            members: [
                                MemberConfig(url: url("http://10.0.0.1:9000"), weight: 5),
                                MemberConfig(url: OriginURL(host: "fd00::2", port: 9000, basePath: "/base"), weight: 1),
                            ],
                            balance: .leastConnections,
                            healthCheck: HealthCheckConfig(
                                path: "/healthz", interval: .seconds(10), timeout: .milliseconds(1500),
                                expectStatus: 204...204, rise: 1, fall: 5
                            ),
                            passive: PassiveHealthConfig(maxFailures: 0, cooldown: .seconds(60)),
                            timeouts: UpstreamTimeouts(connect: .milliseconds(250), firstByte: .seconds(60), idle: .seconds(120)),
                            connections: ConnectionPoolConfig(maxIdle: 4, maxTotal: 16, idleTimeout: .seconds(15)),
                            hostHeader: .origin,
                            retryIdempotent: false
                        )
                    )
                ),
                OriginPoolConfig(
                    name: "hashed",
                    kind: .http(
                        HTTPPoolConfig(
                            members: [
                                MemberConfig(url: OriginURL(host: "h1.internal", port: 81)),
                                MemberConfig(url: OriginURL(host: "h2.internal", port: 81)),
                            ],
                            balance: .consistentHash,
                            healthCheck: .default,
                            hostHeader: .fixed("backend.example.com")
                        )
                    )
                ),
                OriginPoolConfig(
                    name: "site",
                    kind: .file(
                        FileOriginConfig(root: "/etc/www/site", cacheControl: "public, max-age=60", index: ["index.html", "index.htm"])
                    )
                ),
            ],
            routes: [
                RouteConfig(host: "api.example.com", pathPrefix: "/v1", origin: "app"),
                RouteConfig(host: "*.example.com", pathPrefix: "/", origin: "hashed"),
                RouteConfig(host: nil, pathPrefix: "/", origin: "site"),
            ],
            limits: LimitsConfig(
                maxHeaderBytes: ByteCount(32768), maxHeaderCount: 50, maxURIBytes: ByteCount(4096),
                maxRequestBody: ByteCount(10_000_000), headerTimeout: .seconds(5), bodyIdleTimeout: .seconds(20),
                keepAliveTimeout: .zero, maxConnections: 500, maxRequestsPerConnection: 1000
            ),
            proxy: ProxyConfig(
                trustedProxies: [IPAddressRange("10.0.0.0/8")!, IPAddressRange("::1/128")!, IPAddressRange("192.168.0.7/32")!],
                forwarded: true,
                via: "edge-1",
                hideResponseHeaders: ["server", "x-powered-by", "x-aspnet-version"]
            ),
            logging: LoggingConfig(access: AccessLogConfig(destination: .file("/etc/tern/logs/access.log"), format: .json), level: "debug"),
            workers: 4,
            shutdownTimeout: .seconds(90)
        )
        XCTAssertEqual(config.listeners, expected.listeners)
        XCTAssertEqual(config.origins, expected.origins)
        XCTAssertEqual(config.routes, expected.routes)
        XCTAssertEqual(config.limits, expected.limits)
        XCTAssertEqual(config.proxy, expected.proxy)
        XCTAssertEqual(config.logging, expected.logging)
        XCTAssertEqual(config, expected)
    }

    func testSmallVariants() throws {
        let base = """
            listeners: ["127.0.0.1:8080"]
            origins:
              app:
                members: ["http://127.0.0.1:9000"]
            routes:
              - origin: app

            """
        func parse(_ extra: String) throws -> TernConfiguration {
            try ConfigLoader.parse(yaml: base + extra, fileName: "v.yaml", baseDirectory: "/base")
        }
        XCTAssertNil(try parse("proxy: {via: false}").proxy.via)
        XCTAssertEqual(try parse("proxy: {via: \"false\"}").proxy.via, "false")
        XCTAssertEqual(try parse("proxy: {hide_response_headers: []}").proxy.hideResponseHeaders, [])
        XCTAssertNil(try parse("limits: {max_request_body: unlimited}").limits.maxRequestBody)
        XCTAssertEqual(try parse("limits: {max_request_body: 0}").limits.maxRequestBody, ByteCount(0))
        XCTAssertEqual(try parse("limits: {header_timeout: 15}").limits.headerTimeout, .seconds(15))
        XCTAssertNil(try parse("workers: auto").workers)
        XCTAssertEqual(try parse("workers: 256").workers, 256)
        XCTAssertEqual(try parse("limits:\n").limits, .default)  // an empty section means defaults
        XCTAssertEqual(try parse("logging: {access: {path: \"off\"}}").logging.access.destination, .off)
        XCTAssertEqual(try parse("logging: {access: {path: stderr}}").logging.access.destination, .stderr)
        XCTAssertEqual(try parse("logging: {access: {path: /var/log/t.log}}").logging.access.destination, .file("/var/log/t.log"))
        XCTAssertEqual(try parse("shutdown_timeout: 0s").shutdownTimeout, .zero)
    }

    func testMergeKeysShareSettings() throws {
        let yaml = """
            listeners: ["127.0.0.1:8080"]
            origins:
              a: &pool
                balance: consistent_hash
                timeouts: {connect: 1s}
                members: ["http://127.0.0.1:9000"]
              b:
                <<: *pool
                members: ["http://127.0.0.1:9001"]
            routes:
              - {path: /a, origin: a}
              - {path: /b, origin: b}
            """
        let config = try ConfigLoader.parse(yaml: yaml, fileName: "m.yaml", baseDirectory: "/")
        guard case .http(let b) = config.origin(named: "b")?.kind else { return XCTFail("b is not http") }
        XCTAssertEqual(b.balance, .consistentHash)
        XCTAssertEqual(b.timeouts.connect, .seconds(1))
        XCTAssertEqual(b.members, [MemberConfig(url: OriginURL(host: "127.0.0.1", port: 9001))])
    }
}
