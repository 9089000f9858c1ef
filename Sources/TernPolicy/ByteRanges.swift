/// Byte-range requests (RFC 9110 §14): parsing `Range: bytes=…`, resolving it against a
/// representation length, and formatting `Content-Range`.
///
/// ```
/// ranges-specifier = range-unit "=" range-set
/// range-set        = 1#range-spec
/// range-spec       = int-range / suffix-range / other-range
/// int-range        = first-pos "-" [ last-pos ]
/// suffix-range     = "-" suffix-length
/// ```
public enum ByteRanges {
    /// One `range-spec` of a `bytes` range-set (RFC 9110 §14.1.1).
    public enum Spec: Sendable, Hashable {
        /// `first-pos "-" [ last-pos ]`; `last == nil` means "to the end".
        case from(first: Int64, last: Int64?)
        /// `"-" suffix-length`: the final `length` bytes.
        case suffix(length: Int64)
    }

    /// Requests with more range-specs than this are served in full (RFC 9110 §14.2 allows
    /// ignoring abusive range sets).
    public static let maximumRangeCount = 100
    /// Requests in which more than this many ranges overlap an earlier one are served in full
    /// (RFC 9110 §14.2: "more than two overlapping ranges").
    public static let maximumOverlapCount = 2
    /// Requests with more than this many ranges that are not in ascending order are served in
    /// full (RFC 9110 §14.2: "many small ranges that are not listed in ascending order").
    public static let maximumUnorderedRangeCount = 16

    /// Parses a `Range` field value with the `bytes` unit (case-insensitive) (RFC 9110 §14.1.1).
    ///
    /// Whitespace is allowed around list elements; empty elements are skipped. Numbers too large
    /// for `Int64` saturate at `Int64.max`.
    ///
    /// - Returns: the specs in request order, or `nil` when the unit is not `bytes` or any
    ///   element is malformed (including `last-pos < first-pos`, and `other-range`).
    public static func parse(_ header: String) -> [Spec]? {
        var bytes = Substring(header).utf8[...]
        bytes = Self.trimmingOWS(bytes)
        guard let equals = bytes.firstIndex(of: UInt8(ascii: "=")) else { return nil }
        let unit = bytes[bytes.startIndex..<equals]
        guard unit.count == 5, zip(unit, "bytes".utf8).allSatisfy({ ($0 | 0x20) == $1 }) else { return nil }
        var specs: [Spec] = []
        for element in bytes[bytes.index(after: equals)...].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let item = Self.trimmingOWS(element)
            if item.isEmpty { continue }
            guard let dash = item.firstIndex(of: UInt8(ascii: "-")) else { return nil }
            let firstText = item[item.startIndex..<dash]
            let lastText = item[item.index(after: dash)...]
            if firstText.isEmpty {
                guard let n = Self.number(lastText) else { return nil }
                specs.append(.suffix(length: n))
            } else {
                guard let first = Self.number(firstText) else { return nil }
                if lastText.isEmpty {
                    specs.append(.from(first: first, last: nil))
                } else {
                    guard let last = Self.number(lastText), last >= first else { return nil }
                    specs.append(.from(first: first, last: last))
                }
            }
        }
        return specs.isEmpty ? nil : specs
    }

    /// Resolves a `Range` field value against a representation of `length` bytes
    /// (RFC 9110 §14.1.1, §14.2).
    ///
    /// - `.full` when the header is not a valid `bytes` range set, or looks abusive (more than
    ///   ``maximumRangeCount`` specs, more than ``maximumOverlapCount`` overlapping ranges, or more
    ///   than ``maximumUnorderedRangeCount`` ranges out of ascending order);
    /// - `.unsatisfiable` when no spec selects any byte (first-pos ≥ length, `-0`, or length 0);
    /// - otherwise `.satisfiable` with the satisfiable ranges clamped to the representation,
    ///   sorted, and with overlapping or adjacent ranges coalesced (§14.2 allows coalescing).
    public static func resolve(header: String, length: Int64) -> RangeResolution {
        guard let specs = Self.parse(header) else { return .full }
        return Self.resolve(specs: specs, length: length)
    }

    /// Resolves already-parsed specs; see ``resolve(header:length:)``.
    public static func resolve(specs: [Spec], length: Int64) -> RangeResolution {
        guard !specs.isEmpty, specs.count <= Self.maximumRangeCount, length >= 0 else { return .full }
        var ranges: [ClosedRange<Int64>] = []
        ranges.reserveCapacity(specs.count)
        for spec in specs {
            switch spec {
            case .from(let first, let last):
                guard first < length else { continue }
                ranges.append(first...min(last ?? (length - 1), length - 1))
            case .suffix(let n):
                guard n > 0, length > 0 else { continue }
                ranges.append(max(0, length - n)...(length - 1))
            }
        }
        guard !ranges.isEmpty else { return .unsatisfiable }

        var unordered = 0
        for i in ranges.indices.dropFirst() where ranges[i].lowerBound < ranges[i - 1].lowerBound {
            unordered += 1
        }
        if unordered > 0, ranges.count > Self.maximumUnorderedRangeCount { return .full }

        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<Int64>] = [ranges[0]]
        var overlaps = 0
        for range in ranges.dropFirst() {
            let current = merged[merged.count - 1]
            if range.lowerBound <= current.upperBound {
                overlaps += 1
                if overlaps > Self.maximumOverlapCount { return .full }
                merged[merged.count - 1] = current.lowerBound...max(current.upperBound, range.upperBound)
            } else if range.lowerBound == current.upperBound + 1 {
                merged[merged.count - 1] = current.lowerBound...max(current.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return .satisfiable(merged)
    }

    /// `Content-Range` for one satisfied range (RFC 9110 §14.4): `bytes 0-99/1234`.
    public static func contentRange(_ range: ClosedRange<Int64>, length: Int64) -> String {
        "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
    }

    /// `Content-Range` for a 416 response (RFC 9110 §14.4, §15.5.17): `bytes */1234`.
    public static func unsatisfiedContentRange(length: Int64) -> String {
        "bytes */\(length)"
    }

    private static func trimmingOWS(_ bytes: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var b = bytes
        while let first = b.first, first == 0x20 || first == 0x09 { b = b.dropFirst() }
        while let last = b.last, last == 0x20 || last == 0x09 { b = b.dropLast() }
        return b
    }

    /// `1*DIGIT`, saturating at `Int64.max`.
    private static func number(_ bytes: Substring.UTF8View.SubSequence) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(byte - 0x30))
            value = (o1 || o2) ? Int64.max : sum
        }
        return value
    }
}
