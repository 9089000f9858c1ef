import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import TernAdmin
import TernConfig
import TernCore

/// A scripted ``AdminBackend``: returns a fixed snapshot (counters advancing on each call) and records purges.
final class FakeBackend: AdminBackend {
    private let state = NIOLockedValueBox<(calls: Int, purges: [PurgeRequest], ready: Bool)>((0, [], true))

    var purges: [PurgeRequest] { self.state.withLockedValue { $0.purges } }

    func setReady(_ ready: Bool) {
        self.state.withLockedValue { $0.ready = ready }
    }

    func statsSnapshot() -> StatsSnapshot {
        let calls = self.state.withLockedValue { state -> Int in
            state.calls += 1
            return state.calls
        }
        return FakeBackend.snapshot(step: calls)
    }

    func readiness() -> Readiness {
        let ready = self.state.withLockedValue { $0.ready }
        return Readiness(checks: [
            .init(name: "config", ok: true),
            .init(name: "listeners", ok: true, detail: "1 bound"),
            .init(name: "disk_tier", ok: true),
            .init(name: "pool:app", ok: ready, detail: ready ? "2 of 2 members healthy" : "0 of 2 members healthy"),
        ])
    }

    func purge(_ request: PurgeRequest) async -> PurgeResult {
        self.state.withLockedValue { $0.purges.append(request) }
        let keys = request.tags.map { "http://example.com/tagged/\($0)" } + request.urls
        return PurgeResult(
            matched: keys.count, purged: request.dryRun ? 0 : keys.count, soft: request.soft, dryRun: request.dryRun,
            sample: keys
        )
    }

    /// A snapshot where every field is non-zero and every labeled metric has samples; counters grow with `step`.
    static func snapshot(step: Int) -> StatsSnapshot {
        let requests = 1_000 + 150 * step
        let start = Date(timeIntervalSince1970: 1_750_000_000)
        return StatsSnapshot(
            uptimeSeconds: 3_600 + Double(step),
            requests: requests,
            cache: CacheCounters(
                hitsMemory: 600 + 100 * step, hitsDisk: 100 + 20 * step, misses: 150 + 10 * step + step % 3 * 5,
                staleServed: 12, revalidatedNotModified: 30 + step, revalidatedModified: 8, coalesced: 40 + step,
                bypassed: 60, hitForMiss: 4, lockTimeouts: 1
            ),
            bytes: ByteCounters(served: 900_000_000 + step * 1_000_000, servedFromCache: 800_000_000, fetchedFromOrigins: 120_000_000),
            tiers: [
                TierStats(name: "memory", objects: 1_234, bytes: 200 << 20, limitBytes: 256 << 20, evictions: 17),
                TierStats(name: "disk", objects: 45_678, bytes: 3 << 30, limitBytes: 4 << 30, evictions: 3, readOnly: true,
                          writeFailures: ["no_space": 2, "io": 1], droppedWrites: 14, checksumFailures: 1, damageResets: 1, mapFullRecoveries: 3),
            ],
            purges: PurgeCounters(requests: 5, hardPurgedObjects: 12, softPurgedObjects: 4),
            origins: [
                OriginMemberStats(pool: "app", url: "http://127.0.0.1:9001", health: .healthy, latencyP50Ms: 12.5,
                                  latencyP99Ms: 80.25, errors: 2, openConnections: 8, requests: 150),
                OriginMemberStats(pool: "app", url: "http://127.0.0.1:9002", health: .ejected, latencyP50Ms: 40,
                                  latencyP99Ms: 950, errors: 31, openConnections: 0, requests: 90,
                                  ejections: ["reset": 2, "5xx": 1], ejectionsSuppressed: ["timeout": 1], returns: 2),
                OriginMemberStats(pool: "static", url: "http://[::1]:9003/base \"q\"", health: .unknown),
            ],
            compression: [
                CompressionStats(coding: "br", bytesIn: 50_000_000, bytesOut: 9_000_000, compressions: 420),
                CompressionStats(coding: "gzip", bytesIn: 20_000_000, bytesOut: 5_000_000, compressions: 130),
            ],
            waf: WAFStats(blocksByRule: ["949110": 12, "920350": 3], detections: 7),
            rateLimitRejections: ["api": 40, "login": 2],
            aclDenials: 9,
            connections: ConnectionStats(open: 23, accepted: 5_000, rejected: 2),
            memory: MemoryStats(
                parts: [
                    MemoryPart(name: "tier", bytes: 200 << 20, limitBytes: 256 << 20),
                    MemoryPart(name: "fills", bytes: 3 << 20, limitBytes: 64 << 20, refusals: 2 + step),
                    MemoryPart(name: "compression", bytes: 2 << 20, limitBytes: 32 << 20, refusals: 5),
                    MemoryPart(name: "disk_queue", bytes: 1 << 20, limitBytes: 64 << 20, refusals: 1),
                    MemoryPart(name: "memos", bytes: 300_000, limitBytes: 4 << 20),
                ],
                processAnonymousBytes: 280 << 20, processResidentBytes: 300 << 20, boundBytes: 450 << 20
            ),
            recentPurges: [
                PurgeEvent(time: start, summary: "tag product-42: 3 objects (soft)"),
                PurgeEvent(time: start.addingTimeInterval(-60), summary: "prefix /assets/: 120 objects"),
            ],
            recentWAFBlocks: [
                WAFEvent(time: start, ruleId: "949110", summary: "GET /search?q=<script> from 127.0.0.1: XSS"),
            ]
        )
    }
}

/// An admin server on a free loopback port, with a fake backend.
struct TestAdmin {
    static let token = "test-token-0123456789abcdef"

    let server: AdminServer
    let backend: FakeBackend
    let url: String

    init(token: String? = TestAdmin.token, allow: [IPAddressRange] = AdminConfig.loopback) throws {
        self.backend = FakeBackend()
        self.server = try AdminServer(
            configuration: AdminConfig(listen: HostPort(host: "127.0.0.1", port: 0), allow: allow),
            token: token, backend: self.backend, group: MultiThreadedEventLoopGroup.singleton
        )
        self.url = "http://127.0.0.1:\(self.server.port)"
    }

    var client: AdminClient {
        AdminClient(endpoint: AdminClient.Endpoint(self.url)!, group: MultiThreadedEventLoopGroup.singleton)
    }

    func stop() throws {
        try self.server.shutdown().wait()
    }
}

/// The repository root (three levels above this file).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
