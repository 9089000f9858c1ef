/// A non-negative amount of bytes, as written in configuration (`16KiB`, `512MiB`, `10MB`).
///
/// Binary units (`KiB`, `MiB`, `GiB`, `TiB` and the nginx-style single letters `k`, `m`, `g`, `t`)
/// are 1024-based; the SI units `KB`, `MB`, `GB`, `TB` are 1000-based (IEC 80000-13).
public struct ByteCount: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The number of bytes.
    public var bytes: Int64

    /// Creates a byte count of `bytes` bytes.
    public init(_ bytes: Int64) {
        self.bytes = bytes
    }

    /// `n` KiB (1024 bytes each).
    public static func kibibytes(_ n: Int64) -> ByteCount { ByteCount(n * 1024) }
    /// `n` MiB (1024² bytes each).
    public static func mebibytes(_ n: Int64) -> ByteCount { ByteCount(n * 1024 * 1024) }
    /// `n` GiB (1024³ bytes each).
    public static func gibibytes(_ n: Int64) -> ByteCount { ByteCount(n * 1024 * 1024 * 1024) }

    public static func < (lhs: ByteCount, rhs: ByteCount) -> Bool {
        lhs.bytes < rhs.bytes
    }

    /// Unit suffixes (lower-cased) and their multipliers.
    private static let units: [(suffix: String, multiplier: Int64)] = [
        ("", 1), ("b", 1),
        ("k", 1 << 10), ("kib", 1 << 10), ("kb", 1_000),
        ("m", 1 << 20), ("mib", 1 << 20), ("mb", 1_000_000),
        ("g", 1 << 30), ("gib", 1 << 30), ("gb", 1_000_000_000),
        ("t", 1 << 40), ("tib", 1 << 40), ("tb", 1_000_000_000_000),
    ]

    /// Parses `123`, `512B`, `16KiB`, `512MiB`, `4GiB`, `1TiB`, `10KB`, `10MB`, `10GB`, `16k`, `1m`, `2g`.
    ///
    /// Unit letters are case-insensitive; spaces around the text and between number and unit are allowed.
    /// Returns `nil` for negative numbers, fractions, unknown units and values that overflow `Int64`.
    public static func parse(_ text: String) -> ByteCount? {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        var value: Int64 = 0
        var digitCount = 0
        while index < scalars.count, let digit = asciiDigit(scalars[index]) {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(digit))
            if overflow1 || overflow2 { return nil }
            value = sum
            digitCount += 1
            index += 1
        }
        guard digitCount > 0 else { return nil }
        while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
        var end = scalars.count
        while end > index, scalars[end - 1] == " " || scalars[end - 1] == "\t" { end -= 1 }
        var suffix = ""
        suffix.unicodeScalars.append(contentsOf: scalars[index..<end])
        let lowered = suffix.lowercased()
        guard let unit = units.first(where: { $0.suffix == lowered }) else { return nil }
        let (total, overflow) = value.multipliedReportingOverflow(by: unit.multiplier)
        if overflow { return nil }
        return ByteCount(total)
    }

    /// The count in the largest binary unit that divides it exactly: `16KiB`, `1536B`, `0B`.
    public var description: String {
        let named: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        if self.bytes != 0 {
            for (name, size) in named where self.bytes % size == 0 {
                return "\(self.bytes / size)\(name)"
            }
        }
        return "\(self.bytes)B"
    }
}

/// The value of an ASCII decimal digit, or `nil`.
@inline(__always)
func asciiDigit(_ scalar: Unicode.Scalar) -> Int? {
    guard scalar.value >= 48, scalar.value <= 57 else { return nil }
    return Int(scalar.value - 48)
}

/// The value of an ASCII hexadecimal digit, or `nil`.
@inline(__always)
func asciiHexDigit(_ scalar: Unicode.Scalar) -> Int? {
    switch scalar.value {
    case 48...57: return Int(scalar.value - 48)
    case 65...70: return Int(scalar.value - 55)
    case 97...102: return Int(scalar.value - 87)
    default: return nil
    }
}
