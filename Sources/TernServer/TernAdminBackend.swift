import Atomics
import NIOCore
import NIOPosix
import TernAdmin
import TernConfig
import TernProxy
import TernStorage
import TernCore
import TernPolicy

extension StatsSnapshot {
    func with(_ change: (inout StatsSnapshot) -> Void) -> StatsSnapshot {
        var copy = self
        change(&copy)
        return copy
    }
}

/// The data plane seen from the admin listener: counters, readiness and purges.
final class TernAdminBackend: AdminBackend {
    private let proxy: ProxyServer
    private let cache: TieredCache?
    private let configuration: TernConfiguration
    private let eventLoop: any EventLoop

    init(proxy: ProxyServer, cache: TieredCache?, configuration: TernConfiguration, eventLoop: any EventLoop) {
        self.proxy = proxy
        self.cache = cache
        self.configuration = configuration
        self.eventLoop = eventLoop
    }

    func statsSnapshot() -> StatsSnapshot {
        let runtime = self.proxy.runtime
        let stats = runtime.stats
        func load(_ counter: ManagedAtomic<Int>) -> Int { counter.load(ordering: .relaxed) }
        let hits = load(stats.cacheHits)
        let diskHits = load(stats.cacheDiskHits)
        var tiers: [TierStats] = []
        if let cache = self.cache {
            tiers.append(TierStats(name: "memory", objects: cache.memory.count, bytes: Int(cache.memory.bytesUsed),
                                   limitBytes: Int(cache.memory.limit), evictions: cache.memory.evictions))
            if let disk = cache.disk {
                var damageResets = 0
                if case .resetAfterDamage = disk.openReport { damageResets = 1 }
                tiers.append(TierStats(
                    name: "disk", objects: disk.count, bytes: Int(disk.bytesUsed),
                    limitBytes: Int(disk.configuration.limit), evictions: disk.evictions, readOnly: disk.isReadOnly,
                    writeFailures: Dictionary(uniqueKeysWithValues: disk.writeFailures.map { ($0.key.rawValue, $0.value) }),
                    droppedWrites: disk.droppedWrites, checksumFailures: disk.checksumFailures, damageResets: damageResets,
                    mapFullRecoveries: disk.mapFullRecoveries
                ))
            }
        }
        let now = NIODeadline.now()
        let origins = runtime.pools.flatMap { pool in
            pool.members.map { member -> OriginMemberStats in
                let health = member.healthSnapshot
                let state: OriginMemberStats.Health
                if health.probeState == .unhealthy {
                    state = .unhealthy
                } else if let until = health.ejectedUntil, until > now {
                    state = .ejected
                } else {
                    state = .healthy
                }
                let latency = member.latencyPercentilesMillis
                return OriginMemberStats(
                    pool: pool.name, url: member.url.description, health: state,
                    latencyP50Ms: latency.p50, latencyP99Ms: latency.p99,
                    errors: member.failuresTotal.load(ordering: .relaxed),
                    openConnections: member.openConnections.load(ordering: .relaxed),
                    requests: member.requestsTotal.load(ordering: .relaxed),
                    ejections: member.ejections.withLockedValue { $0 },
                    ejectionsSuppressed: member.ejectionsSuppressed.withLockedValue { $0 },
                    returns: member.returns.load(ordering: .relaxed)
                )
            }
        }
        return StatsSnapshot(
            uptimeSeconds: Double((now - stats.startedAt).nanoseconds) / 1e9,
            requests: load(stats.requests),
            cache: CacheCounters(
                hitsMemory: hits - diskHits, hitsDisk: diskHits, misses: load(stats.cacheMisses),
                staleServed: load(stats.cacheStaleServed),
                revalidatedNotModified: load(stats.cacheRevalidated304),
                revalidatedModified: max(0, load(stats.cacheRevalidations) - load(stats.cacheRevalidated304)),
                coalesced: load(stats.cacheCoalesced), bypassed: load(stats.cacheBypass),
                hitForMiss: load(stats.cacheHitForMiss), lockTimeouts: load(stats.cacheLockTimeouts)
            ),
            bytes: ByteCounters(
                served: load(stats.bytesServed), servedFromCache: load(stats.bytesServedFromCache),
                fetchedFromOrigins: load(stats.bytesFromOrigins)
            ),
            tiers: tiers,
            purges: runtime.purger?.purgeCounters ?? PurgeCounters(),
            origins: origins,
            connections: ConnectionStats(
                open: load(stats.connectionsOpen), accepted: load(stats.connectionsAccepted),
                rejected: load(stats.connectionsRejected)
            ),
            memory: Self.memoryStats(runtime: runtime, cache: self.cache, openConnections: load(stats.connectionsOpen)),
            recentPurges: runtime.purger?.recentPurges ?? []
        ).with { snapshot in
            if let compression = runtime.compression {
                snapshot.compression = CompressionCoordinator.encodedCodings.compactMap { coding in
                    guard let counters = compression.counters[coding] else { return nil }
                    return CompressionStats(
                        coding: coding.rawValue, bytesIn: counters.bytesIn.load(ordering: .relaxed),
                        bytesOut: counters.bytesOut.load(ordering: .relaxed), compressions: counters.compressions.load(ordering: .relaxed)
                    )
                }
            }
            if let gate = runtime.security {
                snapshot.waf = WAFStats(blocksByRule: gate.wafBlocksByRule, detections: gate.wafDetections.load(ordering: .relaxed))
                snapshot.rateLimitRejections = gate.rateLimitRejections
                snapshot.aclDenials = gate.aclDenials.load(ordering: .relaxed)
                snapshot.recentWAFBlocks = gate.recentWAFBlocks.map { WAFEvent(time: $0.time, ruleId: $0.ruleID, summary: $0.uri) }
            }
        }
    }

    static func memoryStats(runtime: ProxyRuntime, cache: TieredCache?, openConnections: Int) -> MemoryStats {
        let ledger = runtime.memory
        var parts = [MemoryPart(name: "tier", bytes: Int(cache?.memory.bytesUsed ?? 0), limitBytes: Int(cache?.memory.limit ?? 0))]
        for account in [MemoryLedger.Account.fills, .compression] {
            parts.append(MemoryPart(name: account.name, bytes: ledger.held(account), limitBytes: Int(ledger.limit(account)), refusals: ledger.refusals(account)))
        }
        parts.append(MemoryPart(
            name: "disk_queue", bytes: cache?.disk?.queuedBytesNow ?? 0,
            limitBytes: Int(ledger.budget.diskQueue), refusals: cache?.disk?.droppedWrites ?? 0
        ))
        parts.append(MemoryPart(name: "memos", bytes: ledger.held(.memos), limitBytes: Int(ledger.limit(.memos))))
        let process = ProcessMemory.read()
        return MemoryStats(
            parts: parts, processAnonymousBytes: process.anonymous, processResidentBytes: process.resident,
            boundBytes: Int(MemoryBound.limit(ledger.budget, connections: openConnections))
        )
    }

    func readiness() -> Readiness {
        var checks = [Readiness.Check(name: "config", ok: true)]
        let bound = self.proxy.boundAddresses.count
        checks.append(Readiness.Check(
            name: "listeners", ok: bound == self.configuration.listeners.count,
            detail: "\(bound) of \(self.configuration.listeners.count) bound"
        ))
        if self.configuration.cache.enabled, self.configuration.cache.disk != nil {
            checks.append(Readiness.Check(name: "disk_tier", ok: self.cache?.disk != nil))
        }
        let now = NIODeadline.now()
        for pool in self.proxy.runtime.pools {
            let healthy = pool.members.filter { $0.isAvailableForStats(now: now) }.count
            checks.append(Readiness.Check(name: "pool:\(pool.name)", ok: healthy > 0, detail: "\(healthy) of \(pool.members.count) members available"))
        }
        return Readiness(checks: checks)
    }

    func purge(_ request: PurgeRequest) async -> PurgeResult {
        guard let purger = self.proxy.runtime.purger else {
            return PurgeResult(matched: 0, purged: 0, soft: request.soft, dryRun: request.dryRun)
        }
        return (try? await purger.purge(request, on: self.eventLoop).get())
            ?? PurgeResult(matched: 0, purged: 0, soft: request.soft, dryRun: request.dryRun)
    }
}

/// The process's own memory figures, from `/proc/self/status` (Linux; zero elsewhere).
enum ProcessMemory {
    static func read() -> (anonymous: Int, resident: Int) {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        let status = ProcStatusMemory(status: text)
        return (Int(status.anonymous), Int(status.resident))
    }
}
