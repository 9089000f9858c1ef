/// How an HTTP pool picks a member (key `balance`).
public enum BalancePolicy: String, Sendable, Equatable, CaseIterable {
    /// Smooth weighted round-robin.
    case roundRobin = "round_robin"
    /// The member with the fewest in-flight requests (relative to weight).
    case leastConnections = "least_connections"
    /// A consistent hash of the request's cache key, so one member sees the same URLs.
    case consistentHash = "consistent_hash"
}
