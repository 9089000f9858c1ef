import TernCore

/// A set of CIDR ranges flattened into sorted, disjoint intervals of the 128-bit IPv6 space,
/// answering membership with one binary search.
///
/// IPv4 ranges live at their IPv4-mapped position (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) and IPv4
/// addresses are looked up in mapped form, so the answers equal ``IPAddressRange/contains(_:)``
/// over the list: an IPv4-mapped IPv6 address matches IPv4 ranges, and an IPv4 address matches
/// IPv6 ranges that cover its mapped form (`::/0`, `::ffff:0:0/96`).
struct AddressIntervalSet: Sendable, Hashable {
    /// A 128-bit address as a (high, low) pair; tuples order lexicographically, which is numeric order.
    struct Point: Sendable, Hashable, Comparable {
        var high: UInt64
        var low: UInt64

        static func < (lhs: Point, rhs: Point) -> Bool {
            (lhs.high, lhs.low) < (rhs.high, rhs.low)
        }
    }

    /// Interval starts, ascending.
    private(set) var starts: [Point] = []
    /// Inclusive interval ends; `ends[i] < starts[i + 1]`.
    private(set) var ends: [Point] = []

    init(_ ranges: [IPAddressRange]) {
        var intervals: [(Point, Point)] = ranges.map(AddressIntervalSet.interval)
        intervals.sort { $0.0 < $1.0 }
        for (start, end) in intervals {
            if let lastEnd = self.ends.last, start <= lastEnd {
                if end > lastEnd { self.ends[self.ends.count - 1] = end }
            } else {
                self.starts.append(start)
                self.ends.append(end)
            }
        }
    }

    var isEmpty: Bool { self.starts.isEmpty }

    /// The number of disjoint intervals after merging overlaps.
    var intervalCount: Int { self.starts.count }

    func contains(_ address: IPAddress) -> Bool {
        let (high, low) = address.asIPv6
        let point = Point(high: high, low: low)
        // Find the first start greater than `point`; the interval before it is the only candidate.
        var lower = 0
        var upper = self.starts.count
        while lower < upper {
            let middle = (lower + upper) / 2
            if self.starts[middle] <= point { lower = middle + 1 } else { upper = middle }
        }
        return lower > 0 && point <= self.ends[lower - 1]
    }

    static func interval(_ range: IPAddressRange) -> (Point, Point) {
        let (high, low) = range.network.asIPv6
        let prefix = range.network.isIPv4 ? 96 + range.prefixLength : range.prefixLength
        let hostHigh: UInt64 = prefix >= 64 ? 0 : (prefix == 0 ? .max : .max >> UInt64(prefix))
        let hostLow: UInt64 = prefix <= 64 ? .max : (prefix == 128 ? 0 : .max >> UInt64(prefix - 64))
        return (Point(high: high, low: low), Point(high: high | hostHigh, low: low | hostLow))
    }
}
