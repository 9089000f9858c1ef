/// What a server should do with a `Range` request for a representation of known length
/// (RFC 9110 §14.2, §15.3.7, §15.5.17).
public enum RangeResolution: Sendable, Hashable {
    /// Ignore the `Range` header and send the whole representation (200): the unit is not
    /// `bytes`, the value is syntactically invalid, or the request looks abusive.
    case full
    /// Send these ranges (206): non-empty, ascending, non-overlapping and non-adjacent,
    /// each within `0...length-1`. One range → a single part; several → `multipart/byteranges`.
    case satisfiable([ClosedRange<Int64>])
    /// No range overlaps the representation (416 with `Content-Range: bytes */length`).
    case unsatisfiable

    /// A stable name for logs and metrics.
    public var name: String {
        switch self {
        case .full: return "full"
        case .satisfiable(let ranges): return ranges.count == 1 ? "single" : "multipart"
        case .unsatisfiable: return "unsatisfiable"
        }
    }
}
