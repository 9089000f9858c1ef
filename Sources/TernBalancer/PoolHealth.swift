import NIOCore

/// The health of every member of one pool, decided together so that passive checks never take
/// out the pool's last available member.
///
/// nginx does not apply `max_fails` to a single server, and for the same reason: ejecting the only
/// member that could answer turns a few failed requests into an outage of `cooldown` (every
/// request `503`), although the origin may answer the very next one. So a member whose failures
/// would eject it while no other member is available stays in service, and
/// ``Event/ejectionSuppressed(member:reason:)`` says so (log it, count it).
///
/// Active probes are not limited this way: a member whose probes fail is known not to answer.
///
/// Pure: no clock, no I/O. The runtime keeps one value per pool behind a lock and calls
/// ``expireEjections(now:)`` when an ejection's deadline passes so that returns are reported.
public struct PoolHealth: Sendable, Equatable {
    /// What one recorded event changed, for logs, metrics and the runtime.
    public enum Event: Sendable, Equatable {
        /// Passive checks took the member out until the deadline.
        case ejected(member: Int, reason: FailureKind, until: NIODeadline)
        /// The member would have been ejected but is the pool's last available one: it stays in.
        case ejectionSuppressed(member: Int, reason: FailureKind)
        /// A passive ejection ended (the member receives requests again unless probes keep it out).
        case returned(member: Int, reason: FailureKind)
        /// Probes failed `fall` times in a row.
        case becameUnhealthy(member: Int)
        /// Probes passed `rise` times in a row.
        case becameHealthy(member: Int)

        /// A stable name for logs and metrics.
        public var name: String {
            switch self {
            case .ejected: return "ejected"
            case .ejectionSuppressed: return "ejection_suppressed"
            case .returned: return "returned"
            case .becameUnhealthy: return "became_unhealthy"
            case .becameHealthy: return "became_healthy"
            }
        }

        /// The member the event is about.
        public var member: Int {
            switch self {
            case .ejected(let member, _, _), .ejectionSuppressed(let member, _), .returned(let member, _),
                .becameUnhealthy(let member), .becameHealthy(let member):
                return member
            }
        }
    }

    /// Each member's state, by index.
    public private(set) var members: [MemberHealth]

    /// Creates the health of `count` members sharing one configuration, all starting healthy.
    public init(count: Int, configuration: HealthConfiguration) {
        self.members = Array(repeating: MemberHealth(configuration: configuration), count: count)
    }

    /// Whether member `index` may receive requests at `now`.
    public func isAvailable(_ index: Int, now: NIODeadline) -> Bool {
        self.members[index].isAvailable(now: now)
    }

    /// Records a proxied request's outcome at member `index`.
    ///
    /// Ejections that have ended are reported first (``Event/returned(member:reason:)``).
    public mutating func recordRequest(member index: Int, outcome: RequestOutcome, now: NIODeadline) -> [Event] {
        var events = self.expireEjections(now: now)
        let othersAvailable = self.members.indices.contains { $0 != index && self.members[$0].isAvailable(now: now) }
        switch self.members[index].recordRequest(outcome, now: now, mayEject: othersAvailable) {
        case .ejected(let until):
            events.append(.ejected(member: index, reason: self.members[index].lastEjectionReason ?? .reset, until: until))
        case .ejectionSuppressed:
            events.append(.ejectionSuppressed(member: index, reason: self.members[index].configuration.countedFailure(outcome) ?? .reset))
        case .becameHealthy, .becameUnhealthy, .none:
            break
        }
        return events
    }

    /// Records an active probe's result at member `index`.
    public mutating func recordProbe(member index: Int, success: Bool, now: NIODeadline) -> [Event] {
        var events = self.expireEjections(now: now)
        switch self.members[index].recordProbe(success: success, now: now) {
        case .becameUnhealthy: events.append(.becameUnhealthy(member: index))
        case .becameHealthy: events.append(.becameHealthy(member: index))
        case .ejected, .ejectionSuppressed, .none: break
        }
        return events
    }

    /// Ends every passive ejection whose deadline is at or before `now`, one event per member.
    public mutating func expireEjections(now: NIODeadline) -> [Event] {
        var events: [Event] = []
        for index in self.members.indices where self.members[index].expireEjection(now: now) {
            events.append(.returned(member: index, reason: self.members[index].lastEjectionReason ?? .reset))
        }
        return events
    }
}
