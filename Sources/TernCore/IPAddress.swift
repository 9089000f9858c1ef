/// An IPv4 or IPv6 address, parsed by hand (no `inet_pton`) so the parser is pure and portable.
///
/// IPv4 is the dotted quad of RFC 791 without leading zeros (which `inet_aton` would read as octal);
/// IPv6 is the text form of RFC 4291 §2.2 including `::` compression and an embedded dotted quad.
/// Zone identifiers (`fe80::1%eth0`) are not accepted.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// An IPv4 address in host byte order (`10.0.0.1` is `0x0A00_0001`).
    case v4(UInt32)
    /// An IPv6 address as its high and low 64 bits.
    case v6(UInt64, UInt64)

    /// Parses a dotted-quad IPv4 or a textual IPv6 address; `nil` if `text` is not exactly one address.
    public init?(_ text: String) {
        let scalars = Array(text.unicodeScalars)
        if scalars.contains(":") {
            guard let (high, low) = IPAddress.parseV6(scalars[...]) else { return nil }
            self = .v6(high, low)
        } else {
            guard let value = IPAddress.parseV4(scalars[...]) else { return nil }
            self = .v4(value)
        }
    }

    /// `true` for IPv4 addresses.
    public var isIPv4: Bool {
        if case .v4 = self { return true }
        return false
    }

    /// The IPv4 address embedded in an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2).
    public var ipv4Mapped: UInt32? {
        guard case .v6(let high, let low) = self, high == 0, low >> 32 == 0xFFFF else { return nil }
        return UInt32(truncatingIfNeeded: low)
    }

    /// This address as IPv6: an IPv4 address becomes its IPv4-mapped form.
    public var asIPv6: (high: UInt64, low: UInt64) {
        switch self {
        case .v4(let value): return (0, 0xFFFF_0000_0000 | UInt64(value))
        case .v6(let high, let low): return (high, low)
        }
    }

    /// Canonical text: the dotted quad for IPv4, RFC 5952 for IPv6 (IPv4-mapped addresses as `::ffff:1.2.3.4`).
    public var description: String {
        switch self {
        case .v4(let value):
            return IPAddress.formatV4(value)
        case .v6(let high, let low):
            if let mapped = self.ipv4Mapped {
                return "::ffff:" + IPAddress.formatV4(mapped)
            }
            let groups: [UInt16] = (0..<8).map { index in
                let word = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: word >> (UInt64(3 - index % 4) * 16))
            }
            // RFC 5952 §4.2: compress the longest run (first on ties) of two or more zero groups.
            var bestStart = -1
            var bestLength = 1
            var runStart = -1
            for index in 0...8 {
                if index < 8, groups[index] == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    if index - runStart > bestLength {
                        bestStart = runStart
                        bestLength = index - runStart
                    }
                    runStart = -1
                }
            }
            func hex(_ range: Range<Int>) -> String {
                range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
            }
            if bestStart < 0 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
        }
    }

    static func formatV4(_ value: UInt32) -> String {
        "\(value >> 24).\((value >> 16) & 0xFF).\((value >> 8) & 0xFF).\(value & 0xFF)"
    }

    /// Parses exactly four decimal octets 0...255 without leading zeros.
    static func parseV4(_ scalars: ArraySlice<Unicode.Scalar>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var index = scalars.startIndex
        while true {
            var value = 0
            var digits = 0
            var first: Int?
            while index < scalars.endIndex, let digit = asciiDigit(scalars[index]) {
                if first == nil { first = digit }
                value = value * 10 + digit
                digits += 1
                index += 1
                if digits > 3 { return nil }
            }
            guard digits > 0, value <= 255, !(digits > 1 && first == 0) else { return nil }
            result = result << 8 | UInt32(value)
            octets += 1
            if index == scalars.endIndex { break }
            guard scalars[index] == ".", octets < 4 else { return nil }
            index += 1
        }
        return octets == 4 ? result : nil
    }

    /// Parses RFC 4291 §2.2 text: up to eight 1–4 digit hex groups, at most one `::`,
    /// and optionally a dotted quad in place of the last two groups.
    static func parseV6(_ scalars: ArraySlice<Unicode.Scalar>) -> (UInt64, UInt64)? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var index = scalars.startIndex
        let end = scalars.endIndex
        guard index < end else { return nil }

        if scalars[index] == ":" {
            // Must be "::" at the start.
            guard index + 1 < end, scalars[index + 1] == ":" else { return nil }
            sawDoubleColon = true
            index += 2
            if index == end { return (0, 0) }
        }
        while index < end {
            // Read one group (or a trailing dotted quad).
            let groupStart = index
            var value = 0
            var digits = 0
            while index < end, let digit = asciiHexDigit(scalars[index]) {
                value = value * 16 + digit
                digits += 1
                index += 1
                if digits > 4 { return nil }  // before `value` can overflow (16 digits trapped)
            }
            if index < end, scalars[index] == "." {
                // Embedded IPv4 must be the last thing in the address.
                guard let v4 = parseV4(scalars[groupStart..<end]) else { return nil }
                let groups = [UInt16(v4 >> 16), UInt16(truncatingIfNeeded: v4)]
                if sawDoubleColon { tail += groups } else { head += groups }
                index = end
                break
            }
            guard digits >= 1, digits <= 4 else { return nil }
            if sawDoubleColon { tail.append(UInt16(value)) } else { head.append(UInt16(value)) }
            if index == end { break }
            guard scalars[index] == ":" else { return nil }
            index += 1
            if index < end, scalars[index] == ":" {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                index += 1
                if index == end { break }
            } else if index == end {
                return nil  // A trailing single colon.
            }
        }
        let count = head.count + tail.count
        var groups: [UInt16]
        if sawDoubleColon {
            guard count <= 7 else { return nil }
            groups = head + Array(repeating: 0, count: 8 - count) + tail
        } else {
            guard count == 8 else { return nil }
            groups = head
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (offset, group) in groups.enumerated() {
            if offset < 4 { high = high << 16 | UInt64(group) } else { low = low << 16 | UInt64(group) }
        }
        return (high, low)
    }
}
