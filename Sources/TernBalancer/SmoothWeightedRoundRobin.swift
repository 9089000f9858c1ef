/// Smooth weighted round-robin (nginx's algorithm): each pick adds each available member's weight to its current weight, picks the max, subtracts the total.
///
/// The algorithm is nginx's `ngx_http_upstream_get_peer` (`src/http/ngx_http_upstream_round_robin.c`).
/// For weights `[5, 1, 1]` it yields `a a b a c a a`, spreading the heavy member out instead of
/// sending it five requests in a row. Over any window of `sum(weights)` picks with a fixed
/// available set, every member is chosen exactly `weight` times.
///
/// - Members are identified by their index in `weights`.
/// - A weight of zero or less means "never pick" (the member still occupies its index).
/// - Unavailable members are skipped and their current weight is left untouched, so they
///   neither accumulate credit while down nor lose it.
/// - Ties go to the lowest index, as in nginx.
///
/// This is a value type with no clock and no I/O: one copy lives on each event loop.
public struct SmoothWeightedRoundRobin: Sendable {
    /// The configured weight of each member; values below zero are stored as zero.
    public let weights: [Int]

    /// The running "current weight" of each member (nginx's `peer->current_weight`).
    public private(set) var currentWeights: [Int]

    /// Creates a selector for `weights.count` members with all current weights at zero.
    public init(weights: [Int]) {
        self.weights = weights.map { max(0, $0) }
        self.currentWeights = Array(repeating: 0, count: weights.count)
    }

    /// The number of members, available or not.
    public var memberCount: Int { self.weights.count }

    /// Chooses the next member, or `nil` when no member with a positive weight is available.
    public mutating func next(isAvailable: (Int) -> Bool) -> Int? {
        var best: Int? = nil
        var total = 0
        for index in self.weights.indices {
            let weight = self.weights[index]
            guard weight > 0, isAvailable(index) else { continue }
            self.currentWeights[index] &+= weight
            total &+= weight
            if let chosen = best {
                if self.currentWeights[index] > self.currentWeights[chosen] {
                    best = index
                }
            } else {
                best = index
            }
        }
        guard let chosen = best else { return nil }
        self.currentWeights[chosen] &-= total
        return chosen
    }
}
