/// One value that a pool's runtime holds (one per event loop): dispatches to the policy.
///
/// The balancer keeps only selection state (round-robin current weights, the least-connections
/// rotation, or the immutable hash ring). It owns no health and no in-flight counts: the caller
/// passes both in as closures on every pick, so health can be shared across event loops while
/// each loop keeps its own `Balancer` without locks.
///
/// Member `i` is the `i`-th entry of `weights`; a weight of zero or less means "never pick".
public struct Balancer: Sendable {
    /// The policy this balancer dispatches to.
    public let policy: BalancingPolicy

    private enum Selector: Sendable {
        case roundRobin(SmoothWeightedRoundRobin)
        case leastConnections(LeastConnections)
        case consistentHash(ConsistentHashRing)
        /// Transient, only while a pick mutates state moved out of the enum.
        case moved
    }

    private var selector: Selector

    /// The number of members, available or not.
    public let memberCount: Int

    /// Creates a balancer for `weights.count` members; consistent hashing places member `i` by its index.
    public init(policy: BalancingPolicy, weights: [Int]) {
        self.init(policy: policy, weights: weights, memberKeys: [])
    }

    /// Creates a balancer whose consistent-hash ring places member `i` by `memberKeys[i]` (ignored by other policies).
    public init(
        policy: BalancingPolicy,
        weights: [Int],
        memberKeys: [String],
        virtualNodesPerWeight: Int = ConsistentHashRing.defaultVirtualNodesPerWeight
    ) {
        self.policy = policy
        self.memberCount = weights.count
        switch policy {
        case .roundRobin:
            self.selector = .roundRobin(SmoothWeightedRoundRobin(weights: weights))
        case .leastConnections:
            self.selector = .leastConnections(LeastConnections(weights: weights))
        case .consistentHash:
            self.selector = .consistentHash(
                ConsistentHashRing(
                    weights: weights,
                    memberKeys: memberKeys,
                    virtualNodesPerWeight: virtualNodesPerWeight
                )
            )
        }
    }

    /// Chooses a member for one request, or `nil` when no member is available.
    ///
    /// `hashKey` is used only by ``BalancingPolicy/consistentHash`` and `inFlight` only by
    /// ``BalancingPolicy/leastConnections``; the others ignore them.
    public mutating func pick(hashKey: String, inFlight: (Int) -> Int, isAvailable: (Int) -> Bool) -> Int? {
        switch self.selector {
        case .roundRobin(var roundRobin):
            // Move the state out so the mutation does not copy the arrays.
            self.selector = .moved
            defer { self.selector = .roundRobin(roundRobin) }
            return roundRobin.next(isAvailable: isAvailable)
        case .leastConnections(var leastConnections):
            let chosen = leastConnections.next(inFlight: inFlight, isAvailable: isAvailable)
            self.selector = .leastConnections(leastConnections)
            return chosen
        case .consistentHash(let ring):
            return ring.next(key: hashKey, isAvailable: isAvailable)
        case .moved:
            return nil
        }
    }
}
