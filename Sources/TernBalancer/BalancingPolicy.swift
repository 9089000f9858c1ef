/// The rule a pool uses to choose which member receives the next request.
///
/// Each case names one selector type: ``SmoothWeightedRoundRobin``, ``LeastConnections`` and
/// ``ConsistentHashRing``. ``Balancer`` dispatches to the one chosen here.
public enum BalancingPolicy: Sendable, Equatable {
    /// Smooth weighted round-robin (nginx's `upstream` default).
    case roundRobin
    /// Fewest in-flight requests relative to weight (nginx `least_conn`).
    case leastConnections
    /// A consistent hash ring keyed by a request-derived string (nginx `hash ... consistent`).
    case consistentHash

    /// A stable lowercase name for logs and metrics.
    public var name: String {
        switch self {
        case .roundRobin: return "round_robin"
        case .leastConnections: return "least_connections"
        case .consistentHash: return "consistent_hash"
        }
    }
}
