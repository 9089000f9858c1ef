/// Least in-flight requests relative to weight (compare inFlight[a]*weight[b] vs inFlight[b]*weight[a]); ties broken by rotating start so equal members share.
///
/// Like nginx `least_conn`, a member with weight 3 is considered as loaded as a member with
/// weight 1 when it has three times the in-flight requests. The comparison is done by
/// cross-multiplication in full width, so it neither divides nor overflows.
///
/// Ties go to the first tied member at or after a rotating start index; after each pick the
/// start moves to just past the chosen member. With all members idle this degrades to plain
/// round-robin, so a burst of simultaneous requests is spread rather than all sent to member 0.
///
/// - A weight of zero or less means "never pick".
/// - Negative in-flight counts are treated as zero.
///
/// In-flight counts come from the caller (per event loop or shared, as the runtime decides);
/// this type holds only the rotation index.
public struct LeastConnections: Sendable {
    /// The configured weight of each member; values below zero are stored as zero.
    public let weights: [Int]

    /// Where the next tie-breaking scan starts.
    public private(set) var rotation: Int

    /// Creates a selector for `weights.count` members.
    public init(weights: [Int]) {
        self.weights = weights.map { max(0, $0) }
        self.rotation = 0
    }

    /// The number of members, available or not.
    public var memberCount: Int { self.weights.count }

    /// Chooses the available member with the lowest `inFlight / weight`, or `nil` when none is available.
    public mutating func next(inFlight: (Int) -> Int, isAvailable: (Int) -> Bool) -> Int? {
        let count = self.weights.count
        guard count > 0 else { return nil }
        var best: Int? = nil
        var bestLoad = 0
        for step in 0..<count {
            var index = self.rotation + step
            if index >= count { index -= count }
            let weight = self.weights[index]
            guard weight > 0, isAvailable(index) else { continue }
            let load = max(0, inFlight(index))
            if let chosen = best {
                if Self.isLess(load, weight, than: bestLoad, self.weights[chosen]) {
                    best = index
                    bestLoad = load
                }
            } else {
                best = index
                bestLoad = load
            }
        }
        guard let chosen = best else { return nil }
        self.rotation = chosen + 1 == count ? 0 : chosen + 1
        return chosen
    }

    /// Whether `loadA / weightA < loadB / weightB`, computed as `loadA * weightB < loadB * weightA` without overflow.
    static func isLess(_ loadA: Int, _ weightA: Int, than loadB: Int, _ weightB: Int) -> Bool {
        let left = loadA.multipliedFullWidth(by: weightB)
        let right = loadB.multipliedFullWidth(by: weightA)
        if left.high != right.high { return left.high < right.high }
        return left.low < right.low
    }
}
