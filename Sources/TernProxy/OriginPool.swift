import Atomics
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
    private let health: NIOLockedValueBox<MemberHealth>

    /// Counters for the stats surface.
    public let requestsTotal = ManagedAtomic<Int>(0)
    public let failuresTotal = ManagedAtomic<Int>(0)
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

    init(index: Int, config: MemberConfig, address: SocketAddress, health: HealthConfiguration) {
        self.index = index
        self.url = config.url
        self.address = address
        self.weight = config.weight
        self.authority = config.url.port == 80 ? config.url.host : "\(Self.bracketed(config.url.host)):\(config.url.port)"
        self.health = NIOLockedValueBox(MemberHealth(configuration: health))
    }

    static func bracketed(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }

    /// Whether the balancer may send a request here now: healthy by probe and not ejected.
    @inline(__always)
    func isAvailable(now: NIODeadline) -> Bool {
        self.probeHealthy.load(ordering: .relaxed) && now.uptimeNanoseconds >= self.ejectedUntilNanos.load(ordering: .relaxed)
    }

    /// Availability as the stats surface and readiness report it.
    public func isAvailableForStats(now: NIODeadline) -> Bool { self.isAvailable(now: now) }

    /// Records an active probe's outcome; returns the transition for logging.
    @discardableResult
    func recordProbe(success: Bool, now: NIODeadline) -> MemberHealth.Transition {
        self.health.withLockedValue { health in
            let transition = health.recordProbe(success: success, now: now)
            self.publish(health)
            return transition
        }
    }

    /// Records a proxied request's outcome (passive health); returns the transition.
    @discardableResult
    func recordRequest(success: Bool, now: NIODeadline) -> MemberHealth.Transition {
        // Fast path: a success after successes changes nothing, so it takes no lock.
        if success, !self.hasFailureStreak.load(ordering: .relaxed) { return .none }
        if !success { self.failuresTotal.wrappingIncrement(ordering: .relaxed) }
        return self.health.withLockedValue { health in
            let transition = health.recordRequest(success: success, now: now)
            self.publish(health)
            self.hasFailureStreak.store(!success, ordering: .relaxed)
            return transition
        }
    }

    private let hasFailureStreak = ManagedAtomic<Bool>(false)

    private func publish(_ health: MemberHealth) {
        self.probeHealthy.store(health.probeState == .healthy, ordering: .relaxed)
        self.ejectedUntilNanos.store(health.ejectedUntil?.uptimeNanoseconds ?? 0, ordering: .relaxed)
    }

    /// A snapshot for logs and the stats surface.
    public var healthSnapshot: MemberHealth { self.health.withLockedValue { $0 } }
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

    init(name: String, config: HTTPPoolConfig) throws {
        self.name = name
        self.config = config
        let health = HealthConfiguration(
            rise: config.healthCheck?.rise ?? 1,
            fall: config.healthCheck?.fall ?? 1,
            passiveMaxFailures: config.passive.maxFailures,
            passiveCooldown: TimeAmount(config.passive.cooldown)
        )
        self.members = try config.members.enumerated().map { index, member in
            let address = try SocketAddress.makeAddressResolvingHost(member.url.host, port: member.url.port)
            return OriginMember(index: index, config: member, address: address, health: health)
        }
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
