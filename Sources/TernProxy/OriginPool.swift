import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import TernBalancer
import TernConfig
import TernCore

/// One origin server of a pool, shared by every event loop.
///
/// Holds what must be global: health (probe state and passive ejection) and the number of
/// requests in flight (for least-connections). Availability is mirrored into atomics so the hot
/// path reads it without taking the lock.
public final class OriginMember: Sendable {
    public let index: Int
    public let url: OriginURL
    public let address: SocketAddress
    /// `host[:port]` as the origin knows itself (for `host_header: origin`).
    public let authority: String
    public let weight: Int

    let inFlight = ManagedAtomic<Int>(0)
    private let probeHealthy = ManagedAtomic<Bool>(true)
    private let ejectedUntilNanos = ManagedAtomic<UInt64>(0)
    /// The pool's health, decided for all members together (the last available member is never ejected).
    let poolHealth: PoolHealthState

    /// Counters for the stats surface.
    public let requestsTotal = ManagedAtomic<Int>(0)
    public let failuresTotal = ManagedAtomic<Int>(0)
    /// Passive ejections and probe failures that took the member out, by reason (``FailureKind`` raw value).
    public let ejections = NIOLockedValueBox<[String: Int]>([:])
    /// Ejections not carried out because the member was the pool's last available one, by reason.
    public let ejectionsSuppressed = NIOLockedValueBox<[String: Int]>([:])
    /// Returns to service after an ejection or an unhealthy spell.
    public let returns = ManagedAtomic<Int>(0)
    /// Upstream connections open or opening to this member, over all event loops.
    public let openConnections = ManagedAtomic<Int>(0)
    /// Recent time-to-response-head samples (µs), for p50/p99 on the stats surface.
    private let latencies = NIOLockedValueBox(LatencyRing())

    func recordLatency(micros: Int64) {
        self.latencies.withLockedValue { $0.add(micros) }
    }

    /// (p50, p99) of recent samples in milliseconds, or zeros without samples.
    public var latencyPercentilesMillis: (p50: Double, p99: Double) {
        let samples = self.latencies.withLockedValue { $0.samples }.sorted()
        guard !samples.isEmpty else { return (0, 0) }
        func at(_ q: Double) -> Double { Double(samples[min(samples.count - 1, Int(Double(samples.count) * q))]) / 1000 }
        return (at(0.5), at(0.99))
    }

    init(index: Int, config: MemberConfig, address: SocketAddress, poolHealth: PoolHealthState) {
        self.index = index
        self.url = config.url
        self.address = address
        self.weight = config.weight
        self.authority = config.url.port == 80 ? config.url.host : "\(Self.bracketed(config.url.host)):\(config.url.port)"
        self.poolHealth = poolHealth
    }

    static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    /// Whether the balancer may send a request here now: healthy by probe and not ejected.
    @inline(__always)
    func isAvailable(now: NIODeadline) -> Bool {
        self.probeHealthy.load(ordering: .relaxed) && now.uptimeNanoseconds >= self.ejectedUntilNanos.load(ordering: .relaxed)
    }

    /// Availability as the stats surface and readiness report it.
    public func isAvailableForStats(now: NIODeadline) -> Bool { self.isAvailable(now: now) }

    /// Records an active probe's outcome (logged and counted by the pool).
    func recordProbe(success: Bool, now: NIODeadline, on eventLoop: any EventLoop) {
        self.poolHealth.record(on: eventLoop) { $0.recordProbe(member: self.index, success: success, now: now) }
    }

    /// Records a proxied request's outcome (passive health; ejections are logged and counted by the pool).
    func recordRequest(_ outcome: RequestOutcome, now: NIODeadline, on eventLoop: any EventLoop) {
        let counted = self.poolHealth.configuration.countedFailure(outcome)
        if case .failure = outcome { self.failuresTotal.wrappingIncrement(ordering: .relaxed) }
        // Fast path: a success after successes changes nothing, so it takes no lock.
        if counted == nil, case .response = outcome, !self.hasFailureStreak.load(ordering: .relaxed) { return }
        if counted == nil, case .failure = outcome { return }
        self.poolHealth.record(on: eventLoop) { health in
            let events = health.recordRequest(member: self.index, outcome: outcome, now: now)
            self.hasFailureStreak.store(health.members[self.index].consecutiveRequestFailures > 0, ordering: .relaxed)
            return events
        }
    }

    private let hasFailureStreak = ManagedAtomic<Bool>(false)

    func publish(_ health: MemberHealth) {
        self.probeHealthy.store(health.probeState == .healthy, ordering: .relaxed)
        self.ejectedUntilNanos.store(health.ejectedUntil?.uptimeNanoseconds ?? 0, ordering: .relaxed)
    }

    /// A snapshot for logs and the stats surface.
    public var healthSnapshot: MemberHealth { self.poolHealth.snapshot.members[self.index] }
}

/// One pool's ``PoolHealth`` behind a lock, with what carrying out its events needs: the members
/// (availability atomics and counters), a logger, and a timer per ejection that reports the return.
final class PoolHealthState: Sendable {
    let poolName: String
    let configuration: HealthConfiguration
    private let health: NIOLockedValueBox<PoolHealth>
    private let logger: Logger
    /// Set once the members exist (they hold this state); read-only afterwards.
    private let membersBox = NIOLockedValueBox<[OriginMember]>([])

    init(poolName: String, count: Int, configuration: HealthConfiguration, logger: Logger) {
        self.poolName = poolName
        self.configuration = configuration
        self.health = NIOLockedValueBox(PoolHealth(count: count, configuration: configuration))
        self.logger = logger
    }

    func attach(_ members: [OriginMember]) {
        self.membersBox.withLockedValue { $0 = members }
    }

    var snapshot: PoolHealth { self.health.withLockedValue { $0 } }

    /// Applies `change` under the lock, publishes availability, then logs and counts its events.
    func record(on eventLoop: any EventLoop, _ change: (inout PoolHealth) -> [PoolHealth.Event]) {
        let members = self.membersBox.withLockedValue { $0 }
        let events = self.health.withLockedValue { health -> [PoolHealth.Event] in
            let events = change(&health)
            if !events.isEmpty {
                for member in members { member.publish(health.members[member.index]) }
            }
            return events
        }
        for event in events { self.report(event, members: members, on: eventLoop) }
    }

    private func report(_ event: PoolHealth.Event, members: [OriginMember], on eventLoop: any EventLoop) {
        guard members.indices.contains(event.member) else { return }
        let member = members[event.member]
        var metadata: Logger.Metadata = ["pool": "\(self.poolName)", "member": "\(member.url)", "event": "\(event.name)"]
        switch event {
        case .ejected(_, let reason, let until):
            member.ejections.withLockedValue { $0[reason.rawValue, default: 0] += 1 }
            metadata["reason"] = "\(reason.rawValue)"
            metadata["cooldown_ms"] = "\(max(0, (until - NIODeadline.now()).nanoseconds / 1_000_000))"
            self.logger.warning("origin member ejected", metadata: metadata)
            // Report the return when the cool-down ends (the availability atomics already let it back in).
            eventLoop.scheduleTask(deadline: until) {
                self.record(on: eventLoop) { $0.expireEjections(now: .now()) }
            }
        case .ejectionSuppressed(_, let reason):
            member.ejectionsSuppressed.withLockedValue { $0[reason.rawValue, default: 0] += 1 }
            metadata["reason"] = "\(reason.rawValue)"
            self.logger.warning(
                "origin member would have been ejected but is the pool's last available member; still sending to it",
                metadata: metadata
            )
        case .returned(_, let reason):
            member.returns.wrappingIncrement(ordering: .relaxed)
            metadata["reason"] = "\(reason.rawValue)"
            self.logger.notice("origin member back in service after its ejection", metadata: metadata)
        case .becameUnhealthy:
            member.ejections.withLockedValue { $0[FailureKind.probe.rawValue, default: 0] += 1 }
            metadata["reason"] = "probe"
            self.logger.warning("origin member unhealthy: active health checks failed", metadata: metadata)
        case .becameHealthy:
            member.returns.wrappingIncrement(ordering: .relaxed)
            metadata["reason"] = "probe"
            self.logger.notice("origin member healthy again: active health checks pass", metadata: metadata)
        }
    }
}

/// The last 1,024 latency samples of one member.
struct LatencyRing {
    private(set) var samples: [Int64] = []
    private var next = 0

    mutating func add(_ value: Int64) {
        if self.samples.count < 1024 {
            self.samples.append(value)
        } else {
            self.samples[self.next] = value
            self.next = (self.next + 1) % 1024
        }
    }
}

/// A named pool of HTTP origin servers and its policy, shared by every event loop.
public final class OriginPool: Sendable {
    public let name: String
    public let config: HTTPPoolConfig
    public let members: [OriginMember]

    init(name: String, config: HTTPPoolConfig, logger: Logger) throws {
        self.name = name
        self.config = config
        let state = PoolHealthState(
            poolName: name, count: config.members.count, configuration: Self.healthConfiguration(config), logger: logger
        )
        self.members = try config.members.enumerated().map { index, member in
            let address = try SocketAddress.makeAddressResolvingHost(member.url.host, port: member.url.port)
            return OriginMember(index: index, config: member, address: address, poolHealth: state)
        }
        state.attach(self.members)
    }

    /// The pure health thresholds of a configured pool.
    static func healthConfiguration(_ config: HTTPPoolConfig) -> HealthConfiguration {
        HealthConfiguration(
            rise: config.healthCheck?.rise ?? 1,
            fall: config.healthCheck?.fall ?? 1,
            passiveMaxFailures: config.passive.maxFailures,
            passiveCooldown: TimeAmount(config.passive.cooldown),
            countedFailures: Set(config.passive.count.map { kind -> FailureKind in
                switch kind {
                case .connect: return .connect
                case .reset: return .reset
                case .timeout: return .timeout
                case .invalidResponse: return .invalidResponse
                }
            }),
            serverErrorThreshold: config.passive.serverErrors?.threshold ?? 0,
            serverErrorWindow: TimeAmount(config.passive.serverErrors?.window ?? .seconds(10))
        )
    }

    var balancingPolicy: BalancingPolicy {
        switch self.config.balance {
        case .roundRobin: return .roundRobin
        case .leastConnections: return .leastConnections
        case .consistentHash: return .consistentHash
        }
    }

    /// `true` when no member can take a request right now.
    func allUnavailable(now: NIODeadline) -> Bool {
        !self.members.contains { $0.isAvailable(now: now) }
    }
}
