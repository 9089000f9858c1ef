import Foundation
import TernConfig
import TernCore
import XCTest

/// The `cache` section, route `cache` keys and the quick-mode cache flags.
final class CacheConfigTests: XCTestCase {
    typealias Case = ConfigErrorCasesTests.Case

    /// Lines 1–6: one origin, one route.
    static let base = """
        listeners: ["127.0.0.1:8080"]
        origins:
          app:
            members: ["http://127.0.0.1:9000"]
        routes:
          - origin: app

        """

    /// `cache:` on line 7; `body` starts on line 8 and is indented by two spaces.
    static func withCache(_ body: String) -> String {
        base + "cache:\n" + body
    }

    /// The route's `cache:` on line 7; `body` starts on line 8 and is indented by six spaces.
    static func withRouteCache(_ body: String) -> String {
        base + "    cache:\n" + body
    }

    private func parse(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> TernConfiguration? {
        do {
            return try ConfigLoader.parse(yaml: yaml, fileName: "c.yaml", baseDirectory: "/base")
        } catch {
            XCTFail("\(error)", file: file, line: line)
            return nil
        }
    }

    // MARK: Defaults

    func testDefaults() throws {
        let cache = CacheConfig.default
        XCTAssertTrue(cache.enabled)
        XCTAssertEqual(cache.memory, .mebibytes(256))
        XCTAssertEqual(cache.memoryMaxObjectSize, .mebibytes(8))
        XCTAssertEqual(cache.maxObjectSize, .mebibytes(64))
        XCTAssertNil(cache.disk)
        XCTAssertEqual(cache.admission, .both)
        XCTAssertEqual(cache.heuristicFraction, 0.1)
        XCTAssertEqual(cache.heuristicMaxTTL, .seconds(86_400))
        XCTAssertEqual(cache.lockTimeout, .seconds(10))
        XCTAssertEqual(cache.maxWaiters, 10_000)
        XCTAssertEqual(cache.hitForMiss, .seconds(30))
        XCTAssertEqual(CacheConfig.Admission.allCases.map(\.rawValue), ["both", "disk_first"])
        XCTAssertEqual(DiskCacheConfig(path: "/c"), DiskCacheConfig(path: "/c", size: .gibibytes(4), mapSize: nil))

        let route = RouteCacheConfig.default
        XCTAssertFalse(route.bypass)
        XCTAssertEqual(route.key, CacheKeyConfig(query: .keep, headers: [], cookies: []))
        XCTAssertEqual(route.key, .default)
        XCTAssertNil(route.forceTTL)
        XCTAssertNil(route.minTTL)
        XCTAssertNil(route.negativeTTL)
        XCTAssertFalse(route.cacheSetCookie)

        // Absent or empty sections mean the defaults.
        let config = try XCTUnwrap(self.parse(Self.base))
        XCTAssertEqual(config.cache, .default)
        XCTAssertEqual(config.routes.map(\.cache), [.default])
        XCTAssertEqual(self.parse(Self.base + "cache:\n")?.cache, .default)
        XCTAssertEqual(self.parse(Self.base + "cache: {}\n")?.cache, .default)
        XCTAssertEqual(self.parse(Self.withRouteCache(""))?.routes.first?.cache, .default)
        XCTAssertEqual(TernConfiguration(listeners: [], origins: [], routes: []).cache, .default)
        XCTAssertEqual(RouteConfig(origin: "app").cache, .default)
    }

    // MARK: Valid top-level values

    func testCacheValues() {
        // (cache body, expected, source line)
        let cases: [(String, CacheConfig, UInt)] = [
            ("  enabled: false\n", CacheConfig(enabled: false), #line),
            ("  enabled: true\n", CacheConfig(), #line),
            // Turning caching off leaves everything else validated and kept, including a disk tier and memory 0.
            ("  enabled: false\n  memory: 0\n", CacheConfig(enabled: false, memory: ByteCount(0)), #line),
            (
                "  enabled: false\n  disk: {path: cache}\n",
                CacheConfig(enabled: false, disk: DiskCacheConfig(path: "/base/cache")), #line
            ),
            ("  memory: 1GiB\n", CacheConfig(memory: .gibibytes(1)), #line),
            // Without memory_max_object, its default is lowered to fit memory and max_object_size.
            ("  memory: 4MiB\n", CacheConfig(memory: .mebibytes(4), memoryMaxObjectSize: .mebibytes(4)), #line),
            (
                "  max_object_size: 1MiB\n",
                CacheConfig(memoryMaxObjectSize: .mebibytes(1), maxObjectSize: .mebibytes(1)), #line
            ),
            ("  memory_max_object: 256MiB\n  max_object_size: 1GiB\n",
             CacheConfig(memoryMaxObjectSize: .mebibytes(256), maxObjectSize: .gibibytes(1)), #line),
            ("  memory_max_object: 32MiB\n", CacheConfig(memoryMaxObjectSize: .mebibytes(32)), #line),
            // memory 0 (no memory tier) is fine with a disk tier; memory_max_object is then unused and unchecked.
            (
                "  memory: 0\n  disk: {path: /var/cache/tern}\n",
                CacheConfig(memory: ByteCount(0), disk: DiskCacheConfig(path: "/var/cache/tern")), #line
            ),
            (
                "  memory: 0\n  memory_max_object: 1GiB\n  disk: {path: c}\n",
                CacheConfig(memory: ByteCount(0), memoryMaxObjectSize: .gibibytes(1), disk: DiskCacheConfig(path: "/base/c")),
                #line
            ),
            ("  disk:\n    path: ../cache/\n", CacheConfig(disk: DiskCacheConfig(path: "/cache")), #line),
            (
                "  disk: {path: c, size: 10GB, map_size: 10GB}\n",
                CacheConfig(disk: DiskCacheConfig(path: "/base/c", size: ByteCount(10_000_000_000), mapSize: ByteCount(10_000_000_000))),
                #line
            ),
            ("  admission: both\n", CacheConfig(admission: .both), #line),
            (
                "  admission: disk_first\n  disk: {path: c}\n",
                CacheConfig(disk: DiskCacheConfig(path: "/base/c"), admission: .diskFirst), #line
            ),
            ("  heuristic_fraction: 0\n", CacheConfig(heuristicFraction: 0), #line),
            ("  heuristic_fraction: 1\n", CacheConfig(heuristicFraction: 1), #line),
            ("  heuristic_fraction: 0.25\n", CacheConfig(heuristicFraction: 0.25), #line),
            ("  heuristic_fraction: \"0.5\"\n", CacheConfig(heuristicFraction: 0.5), #line),
            ("  heuristic_max_ttl: 12h\n", CacheConfig(heuristicMaxTTL: .seconds(43_200)), #line),
            ("  heuristic_max_ttl: 0s\n", CacheConfig(heuristicMaxTTL: .zero), #line),
            ("  lock_timeout: 500ms\n", CacheConfig(lockTimeout: .milliseconds(500)), #line),
            ("  lock_timeout: 10m\n", CacheConfig(lockTimeout: .seconds(600)), #line),
            ("  lock_timeout: 30\n", CacheConfig(lockTimeout: .seconds(30)), #line),
            ("  max_waiters: 1\n", CacheConfig(maxWaiters: 1), #line),
            ("  max_waiters: 1000000\n", CacheConfig(maxWaiters: 1_000_000), #line),
            ("  max_waiters: \"250\"\n", CacheConfig(maxWaiters: 250), #line),
            ("  hit_for_miss: 0s\n", CacheConfig(hitForMiss: .zero), #line),
            ("  hit_for_miss: 0\n", CacheConfig(hitForMiss: .zero), #line),
            ("  hit_for_miss: 1h\n", CacheConfig(hitForMiss: .seconds(3_600)), #line),
            ("  hit_for_miss: 2m\n", CacheConfig(hitForMiss: .seconds(120)), #line),
            // Coalescing keys are still checked and kept when caching is off.
            (
                "  enabled: false\n  lock_timeout: 2s\n  max_waiters: 5\n  hit_for_miss: 0s\n",
                CacheConfig(enabled: false, lockTimeout: .seconds(2), maxWaiters: 5, hitForMiss: .zero), #line
            ),
            (
                """
                  enabled: true
                  memory: 1GiB
                  memory_max_object: 16MiB
                  max_object_size: 1GiB
                  disk:
                    path: /var/cache/tern
                    size: 100GiB
                    map_size: 128GiB
                  admission: disk_first
                  heuristic_fraction: 0.2
                  heuristic_max_ttl: 2d
                  lock_timeout: 5s
                  max_waiters: 500
                  hit_for_miss: 1m

                """,
                CacheConfig(
                    enabled: true, memory: .gibibytes(1), memoryMaxObjectSize: .mebibytes(16), maxObjectSize: .gibibytes(1),
                    disk: DiskCacheConfig(path: "/var/cache/tern", size: .gibibytes(100), mapSize: .gibibytes(128)),
                    admission: .diskFirst, heuristicFraction: 0.2, heuristicMaxTTL: .seconds(172_800),
                    lockTimeout: .seconds(5), maxWaiters: 500, hitForMiss: .seconds(60)
                ),
                #line
            ),
        ]
        for (body, expected, line) in cases {
            XCTAssertEqual(self.parse(Self.withCache(body), line: line)?.cache, expected, line: line)
        }
    }

    // MARK: Valid route values

    func testRouteCacheValues() {
        // (route cache body, expected, source line)
        let cases: [(String, RouteCacheConfig, UInt)] = [
            ("      bypass: true\n", RouteCacheConfig(bypass: true), #line),
            ("      bypass: false\n      force_ttl: 5m\n", RouteCacheConfig(forceTTL: .seconds(300)), #line),
            ("      force_ttl: 0s\n", RouteCacheConfig(forceTTL: .zero), #line),
            ("      force_ttl: 5m\n      min_ttl: 5m\n", RouteCacheConfig(forceTTL: .seconds(300), minTTL: .seconds(300)), #line),
            ("      min_ttl: 1h\n", RouteCacheConfig(minTTL: .seconds(3600)), #line),
            ("      negative_ttl: 30s\n", RouteCacheConfig(negativeTTL: .seconds(30)), #line),
            ("      cache_set_cookie: true\n", RouteCacheConfig(cacheSetCookie: true), #line),
            ("      key: {query: keep}\n", RouteCacheConfig(key: CacheKeyConfig(query: .keep)), #line),
            ("      key: {query: sort}\n", RouteCacheConfig(key: CacheKeyConfig(query: .sort)), #line),
            ("      key: {query: drop}\n", RouteCacheConfig(key: CacheKeyConfig(query: .drop)), #line),
            (
                "      key: {query: {allow: [page, id, page]}}\n",
                RouteCacheConfig(key: CacheKeyConfig(query: .allow(["page", "id"]))), #line
            ),
            ("      key: {query: {allow: page}}\n", RouteCacheConfig(key: CacheKeyConfig(query: .allow(["page"]))), #line),
            (
                "      key:\n        query:\n          deny: [utm_source, utm_medium, fbclid]\n",
                RouteCacheConfig(key: CacheKeyConfig(query: .deny(["utm_source", "utm_medium", "fbclid"]))), #line
            ),
            (
                "      key: {headers: [Accept-Language, accept-language, X-Device]}\n",
                RouteCacheConfig(key: CacheKeyConfig(headers: ["accept-language", "x-device"])), #line
            ),
            ("      key: {headers: Accept}\n", RouteCacheConfig(key: CacheKeyConfig(headers: ["accept"])), #line),
            ("      key: {headers: []}\n", RouteCacheConfig(), #line),
            (
                "      key: {cookies: [lang, Lang, lang]}\n",
                RouteCacheConfig(key: CacheKeyConfig(cookies: ["lang", "Lang"])), #line
            ),
            (
                """
                      key:
                        query: sort
                        headers: [accept-encoding]
                        cookies: [currency]
                      force_ttl: 10m
                      min_ttl: 1m
                      negative_ttl: 5s
                      cache_set_cookie: false

                """,
                RouteCacheConfig(
                    bypass: false,
                    key: CacheKeyConfig(query: .sort, headers: ["accept-encoding"], cookies: ["currency"]),
                    forceTTL: .seconds(600), minTTL: .seconds(60), negativeTTL: .seconds(5), cacheSetCookie: false
                ),
                #line
            ),
        ]
        for (body, expected, line) in cases {
            XCTAssertEqual(self.parse(Self.withRouteCache(body), line: line)?.routes.first?.cache, expected, line: line)
        }
    }

    func testRouteCacheIsPerRoute() throws {
        let yaml = """
            listeners: ["127.0.0.1:8080"]
            origins: {app: {members: ["http://127.0.0.1:9000"]}}
            routes:
              - {path: /api, origin: app, cache: {bypass: true}}
              - {path: /, origin: app}
            cache: {enabled: false}
            """
        let config = try XCTUnwrap(self.parse(yaml))
        XCTAssertEqual(
            config.routes,
            [
                RouteConfig(pathPrefix: "/api", origin: "app", cache: RouteCacheConfig(bypass: true)),
                RouteConfig(pathPrefix: "/", origin: "app"),
            ]
        )
        XCTAssertFalse(config.cache.enabled)
    }

    // MARK: Errors

    static let errorCases: [Case] = [
        Case(
            name: "cache is not a mapping",
            yaml: base + "cache: false\n",
            line: 7, column: 8,
            fragments: ["cache: expected a mapping, got 'false'", "cache: {enabled: false}"],
            sourceLine: #line
        ),
        Case(
            name: "unknown cache key",
            yaml: withCache("  memroy: 1GiB\n"),
            line: 8, column: 3,
            fragments: ["unknown key 'memroy' in cache", "did you mean 'memory'?", "valid keys: enabled, memory"],
            sourceLine: #line
        ),
        Case(
            name: "enabled is not a bool",
            yaml: withCache("  enabled: maybe\n"),
            line: 8, column: 12,
            fragments: ["cache.enabled: expected true or false, got 'maybe'"],
            sourceLine: #line
        ),
        Case(
            name: "negative memory",
            yaml: withCache("  memory: -1GiB\n"),
            line: 8, column: 11,
            fragments: ["cache.memory: must not be negative"],
            sourceLine: #line
        ),
        Case(
            name: "junk memory size",
            yaml: withCache("  memory: lots\n"),
            line: 8, column: 11,
            fragments: ["cache.memory: invalid size 'lots'", "16KiB"],
            sourceLine: #line
        ),
        Case(
            name: "memory 0 without a disk tier caches nothing",
            yaml: withCache("  memory: 0\n"),
            line: 8, column: 11,
            fragments: ["cache: memory is 0 and there is no disk tier", "enabled: false"],
            sourceLine: #line
        ),
        Case(
            name: "memory_max_object larger than memory",
            yaml: withCache("  memory: 1MiB\n  memory_max_object: 2MiB\n"),
            line: 9, column: 22,
            fragments: ["cache: memory_max_object (2MiB) is larger than memory (1MiB)", "lower memory_max_object or raise memory"],
            sourceLine: #line
        ),
        Case(
            name: "memory_max_object larger than max_object_size",
            yaml: withCache("  max_object_size: 1MiB\n  memory_max_object: 2MiB\n"),
            line: 9, column: 22,
            fragments: ["cache: memory_max_object (2MiB) is larger than max_object_size (1MiB)"],
            sourceLine: #line
        ),
        Case(
            name: "memory_max_object zero",
            yaml: withCache("  memory_max_object: 0\n"),
            line: 8, column: 22,
            fragments: ["cache.memory_max_object: must be greater than 0"],
            sourceLine: #line
        ),
        Case(
            name: "max_object_size zero",
            yaml: withCache("  max_object_size: 0\n"),
            line: 8, column: 20,
            fragments: ["cache.max_object_size: must be greater than 0"],
            sourceLine: #line
        ),
        Case(
            name: "disk without path",
            yaml: withCache("  disk:\n    size: 1GiB\n"),
            line: 8, column: 3,
            fragments: ["cache.disk: missing required key 'path'", "add e.g. path: cache"],
            sourceLine: #line
        ),
        Case(
            name: "empty disk",
            yaml: withCache("  disk:\n"),
            line: 8, column: 3,
            fragments: ["cache.disk: missing required key 'path'"],
            sourceLine: #line
        ),
        Case(
            name: "disk is not a mapping",
            yaml: withCache("  disk: /var/cache\n"),
            line: 8, column: 9,
            fragments: ["cache.disk: expected a mapping, got '/var/cache'", "disk: {path: cache, size: 4GiB}"],
            sourceLine: #line
        ),
        Case(
            name: "unknown disk key",
            yaml: withCache("  disk: {path: c, sise: 1GiB}\n"),
            line: 8, column: 19,
            fragments: ["unknown key 'sise' in cache.disk", "did you mean 'size'?"],
            sourceLine: #line
        ),
        Case(
            name: "disk path with a tilde",
            yaml: withCache("  disk: {path: ~/cache}\n"),
            line: 8, column: 16,
            fragments: ["cache.disk.path: '~' is not expanded"],
            sourceLine: #line
        ),
        Case(
            name: "disk size zero",
            yaml: withCache("  disk: {path: c, size: 0}\n"),
            line: 8, column: 25,
            fragments: ["cache.disk.size: must be greater than 0"],
            sourceLine: #line
        ),
        Case(
            name: "map_size smaller than size",
            yaml: withCache("  disk:\n    path: cache\n    size: 2GiB\n    map_size: 1GiB\n"),
            line: 11, column: 15,
            fragments: ["cache.disk: map_size (1GiB) is smaller than size (2GiB)", "raise map_size"],
            sourceLine: #line
        ),
        Case(
            name: "map_size smaller than the default size",
            yaml: withCache("  disk: {path: c, map_size: 1GiB}\n"),
            line: 8, column: 29,
            fragments: ["map_size (1GiB) is smaller than size (4GiB)"],
            sourceLine: #line
        ),
        Case(
            name: "unknown admission policy",
            yaml: withCache("  admission: disk-first\n"),
            line: 8, column: 14,
            fragments: ["cache.admission: unknown admission policy 'disk-first'", "did you mean 'disk_first'?",
                        "valid values: both, disk_first"],
            sourceLine: #line
        ),
        Case(
            name: "disk_first without a disk",
            yaml: withCache("  admission: disk_first\n"),
            line: 8, column: 14,
            fragments: ["cache.admission: disk_first needs a disk tier", "admission: both"],
            sourceLine: #line
        ),
        Case(
            name: "heuristic_fraction above 1",
            yaml: withCache("  heuristic_fraction: 1.5\n"),
            line: 8, column: 23,
            fragments: ["cache.heuristic_fraction: must be in 0...1, got 1.5"],
            sourceLine: #line
        ),
        Case(
            name: "heuristic_fraction as a percentage",
            yaml: withCache("  heuristic_fraction: 10%\n"),
            line: 8, column: 23,
            fragments: ["cache.heuristic_fraction: expected a number between 0 and 1, got '10%'", "0.1 means 10%"],
            sourceLine: #line
        ),
        Case(
            name: "negative heuristic_fraction",
            yaml: withCache("  heuristic_fraction: -0.1\n"),
            line: 8, column: 23,
            fragments: ["expected a number between 0 and 1, got '-0.1'"],
            sourceLine: #line
        ),
        Case(
            name: "heuristic_fraction is not a plain number",
            yaml: withCache("  heuristic_fraction: .nan\n"),
            line: 8, column: 23,
            fragments: ["expected a number between 0 and 1, got '.nan'"],
            sourceLine: #line
        ),
        Case(
            name: "bad heuristic_max_ttl",
            yaml: withCache("  heuristic_max_ttl: 1y\n"),
            line: 8, column: 22,
            fragments: ["cache.heuristic_max_ttl: invalid duration '1y'"],
            sourceLine: #line
        ),
        Case(
            name: "lock_timeout zero",
            yaml: withCache("  lock_timeout: 0s\n"),
            line: 8, column: 17,
            fragments: ["cache.lock_timeout: must be greater than 0s", "e.g. 500ms or 5s"],
            sourceLine: #line
        ),
        Case(
            name: "lock_timeout above 10m",
            yaml: withCache("  lock_timeout: 601s\n"),
            line: 8, column: 17,
            fragments: ["cache.lock_timeout: must be at most 10m, got 601s", "fetches on its own; e.g. 10s"],
            sourceLine: #line
        ),
        Case(
            name: "lock_timeout just above 10m",
            yaml: withCache("  lock_timeout: 600001ms\n"),
            line: 8, column: 17,
            fragments: ["cache.lock_timeout: must be at most 10m, got 600001ms"],
            sourceLine: #line
        ),
        Case(
            name: "negative lock_timeout",
            yaml: withCache("  lock_timeout: -1s\n"),
            line: 8, column: 17,
            fragments: ["cache.lock_timeout: must not be negative"],
            sourceLine: #line
        ),
        Case(
            name: "bad lock_timeout",
            yaml: withCache("  lock_timeout: soon\n"),
            line: 8, column: 17,
            fragments: ["cache.lock_timeout: invalid duration 'soon'", "expected a duration such as 30s"],
            sourceLine: #line
        ),
        Case(
            name: "max_waiters zero",
            yaml: withCache("  max_waiters: 0\n"),
            line: 8, column: 16,
            fragments: ["cache.max_waiters: must be in 1...1000000, got 0", "requests beyond max_waiters fetch on their own"],
            sourceLine: #line
        ),
        Case(
            name: "max_waiters above 1000000",
            yaml: withCache("  max_waiters: 1000001\n"),
            line: 8, column: 16,
            fragments: ["cache.max_waiters: must be in 1...1000000, got 1000001", "e.g. max_waiters: 10000"],
            sourceLine: #line
        ),
        Case(
            name: "max_waiters is not an integer",
            yaml: withCache("  max_waiters: 1e4\n"),
            line: 8, column: 16,
            fragments: ["cache.max_waiters: expected an integer, got '1e4'", "write a whole number in 1...1000000"],
            sourceLine: #line
        ),
        Case(
            name: "max_waiters is a list",
            yaml: withCache("  max_waiters: [10]\n"),
            line: 8, column: 16,
            fragments: ["cache.max_waiters"],
            sourceLine: #line
        ),
        Case(
            name: "hit_for_miss above 1h",
            yaml: withCache("  hit_for_miss: 2h\n"),
            line: 8, column: 17,
            fragments: ["cache.hit_for_miss: must be at most 1h, got 2h", "0s turns hit-for-miss off"],
            sourceLine: #line
        ),
        Case(
            name: "negative hit_for_miss",
            yaml: withCache("  hit_for_miss: -30s\n"),
            line: 8, column: 17,
            fragments: ["cache.hit_for_miss: must not be negative"],
            sourceLine: #line
        ),
        Case(
            name: "misspelt hit_for_miss",
            yaml: withCache("  hit_for_mis: 30s\n"),
            line: 8, column: 3,
            fragments: ["unknown key 'hit_for_mis' in cache", "did you mean 'hit_for_miss'?"],
            sourceLine: #line
        ),
        Case(
            name: "coalescing key on a route",
            yaml: withRouteCache("      lock_timeout: 5s\n"),
            line: 8, column: 7,
            fragments: ["routes[0].cache.lock_timeout: lock_timeout is not a route setting", "top-level cache: section"],
            sourceLine: #line
        ),
        // Route cache.
        Case(
            name: "route cache is not a mapping",
            yaml: base + "    cache: off\n",
            line: 7, column: 12,
            fragments: ["routes[0].cache: expected a mapping, got 'off'", "cache: {bypass: true}"],
            sourceLine: #line
        ),
        Case(
            name: "unknown route cache key",
            yaml: withRouteCache("      ttl: 5m\n"),
            line: 8, column: 7,
            fragments: ["unknown key 'ttl' in routes[0].cache", "valid keys: bypass, key, force_ttl"],
            sourceLine: #line
        ),
        Case(
            name: "force_ttl on a bypassed route",
            yaml: withRouteCache("      bypass: true\n      force_ttl: 5m\n"),
            line: 9, column: 7,
            fragments: ["routes[0].cache.force_ttl: force_ttl has no effect on a bypassed route", "remove force_ttl"],
            sourceLine: #line
        ),
        Case(
            name: "key on a bypassed route",
            yaml: withRouteCache("      key: {query: sort}\n      bypass: true\n"),
            line: 8, column: 7,
            fragments: ["routes[0].cache.key: key has no effect on a bypassed route"],
            sourceLine: #line
        ),
        Case(
            name: "cache_set_cookie on a bypassed route",
            yaml: withRouteCache("      bypass: true\n      cache_set_cookie: true\n"),
            line: 9, column: 7,
            fragments: ["cache_set_cookie has no effect on a bypassed route"],
            sourceLine: #line
        ),
        Case(
            name: "bad bypass",
            yaml: withRouteCache("      bypass: always\n"),
            line: 8, column: 15,
            fragments: ["routes[0].cache.bypass: expected true or false, got 'always'"],
            sourceLine: #line
        ),
        Case(
            name: "min_ttl longer than force_ttl",
            yaml: withRouteCache("      force_ttl: 1m\n      min_ttl: 5m\n"),
            line: 9, column: 16,
            fragments: ["routes[0].cache: min_ttl (5m) is longer than force_ttl (1m)", "remove min_ttl or raise force_ttl"],
            sourceLine: #line
        ),
        Case(
            name: "negative negative_ttl",
            yaml: withRouteCache("      negative_ttl: -1s\n"),
            line: 8, column: 21,
            fragments: ["routes[0].cache.negative_ttl: must not be negative"],
            sourceLine: #line
        ),
        Case(
            name: "bad force_ttl",
            yaml: withRouteCache("      force_ttl: forever\n"),
            line: 8, column: 18,
            fragments: ["routes[0].cache.force_ttl: invalid duration 'forever'"],
            sourceLine: #line
        ),
        Case(
            name: "bad cache_set_cookie",
            yaml: withRouteCache("      cache_set_cookie: yes\n"),
            line: 8, column: 25,
            fragments: ["routes[0].cache.cache_set_cookie: expected true or false, got 'yes'"],
            sourceLine: #line
        ),
        Case(
            name: "unknown key in key",
            yaml: withRouteCache("      key: {qeury: sort}\n"),
            line: 8, column: 13,
            fragments: ["unknown key 'qeury' in routes[0].cache.key", "did you mean 'query'?"],
            sourceLine: #line
        ),
        Case(
            name: "unknown query mode lists the valid ones",
            yaml: withRouteCache("      key: {query: random}\n"),
            line: 8, column: 20,
            fragments: ["routes[0].cache.key.query: unknown query mode 'random'",
                        "valid modes: keep, sort, drop, {allow: [name, …]}, {deny: [name, …]}"],
            sourceLine: #line
        ),
        Case(
            name: "misspelt query mode is suggested",
            yaml: withRouteCache("      key: {query: srot}\n"),
            line: 8, column: 20,
            fragments: ["unknown query mode 'srot'", "did you mean 'sort'?"],
            sourceLine: #line
        ),
        Case(
            name: "allow without names",
            yaml: withRouteCache("      key: {query: allow}\n"),
            line: 8, column: 20,
            fragments: ["routes[0].cache.key.query: 'allow' needs a list of parameter names", "query: {allow: [name, …]}"],
            sourceLine: #line
        ),
        Case(
            name: "query is a list",
            yaml: withRouteCache("      key: {query: [a, b]}\n"),
            line: 8, column: 20,
            fragments: ["routes[0].cache.key.query: expected a query mode, got a list", "valid modes: keep"],
            sourceLine: #line
        ),
        Case(
            name: "allow and deny together",
            yaml: withRouteCache("      key:\n        query:\n          allow: [page]\n          deny: [utm_source]\n"),
            line: 11, column: 11,
            fragments: ["routes[0].cache.key.query: allow and deny cannot be used together", "choose one"],
            sourceLine: #line
        ),
        Case(
            name: "allow and deny together, deny first",
            yaml: withRouteCache("      key: {query: {deny: [a], allow: [b]}}\n"),
            line: 8, column: 32,
            fragments: ["allow and deny cannot be used together"],
            sourceLine: #line
        ),
        Case(
            name: "unknown key in a query mapping",
            yaml: withRouteCache("      key: {query: {alow: [a]}}\n"),
            line: 8, column: 21,
            fragments: ["unknown key 'alow' in routes[0].cache.key.query", "did you mean 'allow'?"],
            sourceLine: #line
        ),
        Case(
            name: "empty query mapping",
            yaml: withRouteCache("      key: {query: {}}\n"),
            line: 8, column: 20,
            fragments: ["routes[0].cache.key.query: expected allow or deny"],
            sourceLine: #line
        ),
        Case(
            name: "empty allow list",
            yaml: withRouteCache("      key:\n        query:\n          allow: []\n"),
            line: 10, column: 18,
            fragments: ["routes[0].cache.key.query.allow: list at least one parameter name", "query: drop"],
            sourceLine: #line
        ),
        Case(
            name: "parameter name with '='",
            yaml: withRouteCache("      key: {query: {deny: [\"utm_source=x\"]}}\n"),
            line: 8, column: 28,
            fragments: ["routes[0].cache.key.query.deny[0]: 'utm_source=x' is not a query parameter name"],
            sourceLine: #line
        ),
        Case(
            name: "header name that is not a token",
            yaml: withRouteCache("      key: {headers: [accept-language, \"x device\"]}\n"),
            line: 8, column: 40,
            fragments: ["routes[0].cache.key.headers[1]: 'x device' is not a valid header name", "RFC 9110"],
            sourceLine: #line
        ),
        Case(
            name: "header name with a colon",
            yaml: withRouteCache("      key:\n        headers:\n          - \"x-device:\"\n"),
            line: 10, column: 13,
            fragments: ["routes[0].cache.key.headers[0]: 'x-device:' is not a valid header name"],
            sourceLine: #line
        ),
        Case(
            name: "headers is a mapping",
            yaml: withRouteCache("      key: {headers: {a: b}}\n"),
            line: 8, column: 22,
            fragments: ["routes[0].cache.key.headers: expected a list, got a mapping"],
            sourceLine: #line
        ),
        Case(
            name: "cookie name that is not a token",
            yaml: withRouteCache("      key: {cookies: [\"lang;x\"]}\n"),
            line: 8, column: 23,
            fragments: ["routes[0].cache.key.cookies[0]: 'lang;x' is not a valid cookie name", "RFC 6265"],
            sourceLine: #line
        ),
    ]

    func testErrorCases() {
        ConfigErrorCasesTests.assertErrorCases(Self.errorCases, single: true)
    }

    func testRouteCacheErrorsOnALaterRoute() {
        let yaml = """
            listeners: ["127.0.0.1:8080"]
            origins: {app: {members: ["http://127.0.0.1:9000"]}}
            routes:
              - {path: /a, origin: app}
              - path: /b
                origin: app
                cache:
                  bypass: true
                  min_ttl: 1m
            """
        XCTAssertThrowsError(try ConfigLoader.parse(yaml: yaml, fileName: "r.yaml", baseDirectory: "/")) { error in
            guard let errors = error as? ConfigErrors else { return XCTFail("\(error)") }
            XCTAssertEqual(errors.errors.map(\.description), [
                "r.yaml:9:7: error: routes[1].cache.min_ttl: min_ttl has no effect on a bypassed route"
                    + " (remove min_ttl, or remove bypass: true to cache this route)"
            ])
        }
    }

    // MARK: Quick mode

    func testQuickModeCachesInMemoryByDefault() throws {
        let config = try TernConfiguration.quick(listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [])
        XCTAssertEqual(config.cache, .default)
        XCTAssertTrue(config.cache.enabled)
        XCTAssertEqual(config.cache.memory, .mebibytes(256))
        XCTAssertNil(config.cache.disk)
        XCTAssertEqual(config.routes.map(\.cache), [.default])
    }

    func testQuickModeCacheFlags() throws {
        let cwd = FileManager.default.currentDirectoryPath
        // (memory, cache dir, disk, expected, source line)
        let cases: [(String?, String?, String?, CacheConfig, UInt)] = [
            (nil, nil, nil, .default, #line),
            ("64MiB", nil, nil, CacheConfig(memory: .mebibytes(64)), #line),
            ("4m", nil, nil, CacheConfig(memory: .mebibytes(4), memoryMaxObjectSize: .mebibytes(4)), #line),
            ("1GB", nil, nil, CacheConfig(memory: ByteCount(1_000_000_000)), #line),
            ("0", nil, nil, CacheConfig(enabled: false, memory: ByteCount(0)), #line),
            (nil, "/var/cache/tern", nil, CacheConfig(disk: DiskCacheConfig(path: "/var/cache/tern")), #line),
            (
                nil, "/var/cache/tern/", "10GiB",
                CacheConfig(disk: DiskCacheConfig(path: "/var/cache/tern", size: .gibibytes(10))), #line
            ),
            (
                "0", "/var/cache/tern", "1TiB",
                CacheConfig(memory: ByteCount(0), disk: DiskCacheConfig(path: "/var/cache/tern", size: ByteCount(1 << 40))),
                #line
            ),
            (nil, "cache", nil, CacheConfig(disk: DiskCacheConfig(path: cwd == "/" ? "/cache" : cwd + "/cache")), #line),
        ]
        for (memory, cacheDir, disk, expected, line) in cases {
            do {
                let config = try TernConfiguration.quick(
                    listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: [],
                    memory: memory, cacheDir: cacheDir, disk: disk
                )
                XCTAssertEqual(config.cache, expected, line: line)
            } catch {
                XCTFail("\(error)", line: line)
            }
        }
    }

    func testQuickModeCacheErrors() {
        struct QuickCase {
            var routes: [String] = []
            var memory: String?
            var cacheDir: String?
            var disk: String?
            var expected: [(Int, String)]
            var line: UInt
        }
        // One origin, so --memory is column 3, --cache-dir 4 and --disk 5 (one more per --route).
        let cases: [QuickCase] = [
            QuickCase(memory: "lots", expected: [(3, "--memory: invalid size 'lots'")], line: #line),
            QuickCase(memory: "-1MiB", expected: [(3, "--memory: must not be negative, got '-1MiB'")], line: #line),
            QuickCase(disk: "4GiB", expected: [(5, "--disk needs --cache-dir")], line: #line),
            QuickCase(cacheDir: "/c", disk: "0", expected: [(5, "--disk: must be greater than 0")], line: #line),
            QuickCase(cacheDir: "/c", disk: "big", expected: [(5, "--disk: invalid size 'big'")], line: #line),
            QuickCase(cacheDir: "", expected: [(4, "--cache-dir: expected a directory")], line: #line),
            QuickCase(cacheDir: "~/cache", expected: [(4, "--cache-dir: '~' is not expanded")], line: #line),
            QuickCase(routes: ["/x=http://b"], memory: "x", expected: [(4, "--memory: invalid size 'x'")], line: #line),
            QuickCase(
                memory: "1 XB", cacheDir: "~", disk: "-1",
                expected: [(3, "--memory"), (4, "--cache-dir"), (5, "--disk: must not be negative")], line: #line
            ),
        ]
        for testCase in cases {
            do {
                let config = try TernConfiguration.quick(
                    listen: "127.0.0.1:8080", origins: ["http://127.0.0.1:9000"], routes: testCase.routes,
                    memory: testCase.memory, cacheDir: testCase.cacheDir, disk: testCase.disk
                )
                XCTFail("expected an error, got \(config)", line: testCase.line)
            } catch {
                XCTAssertEqual(error.errors.count, testCase.expected.count, "\(error)", line: testCase.line)
                for (error, (column, fragment)) in zip(error.errors, testCase.expected) {
                    XCTAssertEqual(error.file, "<command line>", line: testCase.line)
                    XCTAssertEqual(error.line, 0, line: testCase.line)
                    XCTAssertEqual(error.column, column, error.description, line: testCase.line)
                    XCTAssertTrue(error.description.contains(fragment), error.description, line: testCase.line)
                }
            }
        }
    }
}
