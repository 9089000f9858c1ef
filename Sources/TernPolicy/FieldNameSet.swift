import NIOHTTP1

/// A fixed set of header field names, matched case-insensitively without allocating: a mask of the
/// names' lengths rules most fields out with one bit test, the rest are compared byte by byte.
public struct FieldNameSet: Sendable, Equatable {
    /// The names, lower-cased.
    public let names: [String]
    /// Bit `n` is set when some name is `n` bytes long (names of 64 bytes or more set bit 63).
    let lengthMask: UInt64

    public init(_ names: [String]) {
        var unique: [String] = []
        for name in names.map({ $0.lowercased() }) where !unique.contains(name) { unique.append(name) }
        self.names = unique
        self.lengthMask = unique.reduce(0) { $0 | 1 << UInt64(min($1.utf8.count, 63)) }
    }

    public var isEmpty: Bool { self.names.isEmpty }

    /// Whether `name` (any case) is in the set.
    @inline(__always)
    public func contains(_ name: String) -> Bool {
        let length = name.utf8.count
        guard self.lengthMask & 1 << UInt64(min(length, 63)) != 0 else { return false }
        return self.names.contains { $0.utf8.count == length && name.caseInsensitiveEquals($0) }
    }

    /// Removes every field whose name is in the set (the list is rebuilt only when one is present).
    public func remove(from headers: inout HTTPHeaders) {
        guard !self.names.isEmpty, headers.contains(where: { self.contains($0.name) }) else { return }
        headers = HTTPHeaders(headers.filter { !self.contains($0.name) })
    }
}
