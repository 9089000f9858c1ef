// swift-tools-version:6.0
import PackageDescription

// Tern: a caching-first HTTP edge accelerator.
// Dependencies point down: tern → TernServer → TernProxy → TernFileOrigin → TernPolicy, TernBalancer, TernConfig → TernCore.
// Pure targets (TernCore, TernPolicy, TernBalancer, TernConfig) import at most NIOCore/NIOHTTP1 value types
// and never read the wall clock. See Docs/architecture.md.

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioConcurrency = Target.Dependency.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let atomics = Target.Dependency.product(name: "Atomics", package: "swift-atomics")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

let package = Package(
    name: "tern",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tern", targets: ["tern"]),
        .library(name: "TernServer", targets: ["TernServer"]),
        // For the libFuzzer targets in Fuzz/ (a separate package; Docs/fuzzing.md).
        .library(name: "TernPolicy", targets: ["TernPolicy"]),
        .library(name: "TernConfig", targets: ["TernConfig"]),
        .library(name: "TernProxy", targets: ["TernProxy"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // Pure shared values: sizes, durations, IP ranges.
        .target(name: "TernCore", swiftSettings: swiftSettings),
        // Pure: YAML → typed, validated configuration with file:line:column errors.
        .target(
            name: "TernConfig",
            dependencies: ["TernCore", "TernLimits", "TernPolicy", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // Pure: member selection and health state machines.
        .target(name: "TernBalancer", dependencies: ["TernCore", nioCore], swiftSettings: swiftSettings),
        // Pure: RFC 9110/9111 decisions (hop-by-hop, forwarding headers, routing, ranges, conditionals, dates).
        .target(name: "TernPolicy", dependencies: ["TernCore", nioCore, nioHTTP1], swiftSettings: swiftSettings),
        // File-system origin: plans responses for a directory (stat/realpath only, no sockets).
        .target(
            name: "TernFileOrigin",
            dependencies: ["TernCore", "TernPolicy", nioCore, nioHTTP1],
            swiftSettings: swiftSettings
        ),
        // Pure: client identity (XFF), PROXY protocol v1/v2, IP access lists, GCRA rate limits, connection caps.
        .target(name: "TernLimits", dependencies: ["TernCore", nioCore, nioConcurrency], swiftSettings: swiftSettings),
        // libmodsecurity3 through pkg-config (Debian: libmodsecurity-dev; rules: modsecurity-crs).
        .systemLibrary(name: "CModSecurity", pkgConfig: "modsecurity", providers: [.apt(["libmodsecurity-dev"])]),
        // The WAF: libmodsecurity3 transactions on a dedicated thread pool, OWASP CRS rule sets.
        .target(name: "TernWAF", dependencies: ["TernCore", "CModSecurity", nioCore, nioPosix, nioConcurrency], swiftSettings: swiftSettings),
        // libbrotlienc + libbrotlidec through pkg-config (Debian: libbrotli-dev).
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlienc", providers: [.apt(["libbrotli-dev"])]),
        // zlib through pkg-config (Debian: zlib1g-dev), for gzip (RFC 1952).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Content codings: one-shot and streaming gzip/br encode and decode (I/O-free).
        .target(name: "TernCompression", dependencies: ["TernPolicy", "CBrotli", "CZlib", nioCore], swiftSettings: swiftSettings),
        // liblmdb through pkg-config (Debian: liblmdb-dev).
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        // Cache storage: byte-bounded memory LRU, LMDB disk tier, tiered cache with promotion.
        .target(
            name: "TernStorage",
            dependencies: ["TernCore", "CLMDB", nioCore, nioHTTP1, nioPosix, nioConcurrency, atomics],
            swiftSettings: swiftSettings
        ),
        // SwiftNIO data plane: HTTP/1.1 server, upstream client and pools, health prober, access log.
        // Exclusivity checks are compiled out of this hot-path target in release builds (they cost
        // ~3% of a proxied request in a profile); debug builds and tests keep them.
        .target(
            name: "TernProxy",
            dependencies: [
                "TernCore", "TernConfig", "TernBalancer", "TernPolicy", "TernFileOrigin", "TernStorage", "TernAdmin",
                "TernCompression", "TernLimits", "TernWAF", nioCore, nioHTTP1, nioPosix, nioConcurrency, atomics, logging,
            ],
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Admin listener: /healthz /readyz /stats /metrics /purge and the dashboard; admin HTTP client for the CLI.
        .target(
            name: "TernAdmin",
            dependencies: [
                "TernCore", "TernConfig", "TernPolicy", nioCore, nioHTTP1, nioPosix, nioConcurrency,
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Wiring: configuration → running listeners, signals, graceful shutdown.
        .target(
            name: "TernServer",
            dependencies: ["TernCore", "TernConfig", "TernProxy", "TernStorage", "TernAdmin", "TernPolicy", nioCore, nioPosix, atomics, logging],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tern",
            dependencies: [
                "TernServer", "TernProxy", "TernConfig", "TernCore", "TernAdmin", "TernStorage", nioPosix,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: scriptable loopback origins and a raw HTTP/1.1 client.
        .target(
            name: "TernTesting",
            dependencies: [nioCore, nioHTTP1, nioPosix, nioConcurrency],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "TernCoreTests", dependencies: ["TernCore"]),
        .testTarget(name: "TernConfigTests", dependencies: ["TernConfig", "TernCore"]),
        .testTarget(name: "TernBalancerTests", dependencies: ["TernBalancer", nioCore]),
        .testTarget(name: "TernPolicyTests", dependencies: ["TernPolicy", nioCore, nioHTTP1]),
        .testTarget(name: "TernFileOriginTests", dependencies: ["TernFileOrigin", "TernPolicy", nioCore, nioHTTP1]),
        .testTarget(
            name: "TernAdminTests",
            dependencies: ["TernAdmin", "TernConfig", "TernCore", nioCore, nioPosix],
            exclude: ["prometheus_parse.py"]
        ),
        .testTarget(name: "TernCompressionTests", dependencies: ["TernCompression", "TernPolicy", nioCore]),
        .testTarget(name: "TernLimitsTests", dependencies: ["TernLimits", "TernCore", nioCore]),
        .testTarget(
            name: "TernWAFTests",
            dependencies: ["TernWAF", nioCore, nioPosix, .product(name: "Yams", package: "Yams")],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "TernStorageTests", dependencies: ["TernStorage", "CLMDB", nioCore, nioHTTP1, nioPosix]),
        .testTarget(
            name: "TernIntegrationTests",
            dependencies: [
                "TernServer", "TernConfig", "TernProxy", "TernStorage", "TernTesting", "TernAdmin", "TernBalancer",
                nioCore, nioHTTP1, nioPosix,
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ]
)
