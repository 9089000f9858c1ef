/// A CIDR block such as `10.0.0.0/8` or `2001:db8::/32` (RFC 4632 §3.1, RFC 4291 §2.3).
///
/// A bare address is a /32 (IPv4) or /128 (IPv6) range. Host bits below the prefix are cleared,
/// so `10.1.2.3/8` is the same range as `10.0.0.0/8`.
public struct IPAddressRange: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the range (host bits cleared).
    public let network: IPAddress
    /// The number of leading bits that are fixed: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    /// Creates the range of `address` with `prefixLength` fixed bits; `nil` if the length is out of range.
    public init?(address: IPAddress, prefixLength: Int) {
        switch address {
        case .v4(let value):
            guard (0...32).contains(prefixLength) else { return nil }
            self.network = .v4(value & IPAddressRange.mask32(prefixLength))
        case .v6(let high, let low):
            guard (0...128).contains(prefixLength) else { return nil }
            let (maskHigh, maskLow) = IPAddressRange.mask128(prefixLength)
            self.network = .v6(high & maskHigh, low & maskLow)
        }
        self.prefixLength = prefixLength
    }

    /// Parses `address/prefix` or a bare address.
    public init?(_ cidr: String) {
        let parts = cidr.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        var length = address.isIPv4 ? 32 : 128
        if parts.count == 2 {
            let text = parts[1]
            guard !text.isEmpty, text.count <= 3, text.unicodeScalars.allSatisfy({ asciiDigit($0) != nil }),
                !(text.count > 1 && text.hasPrefix("0")), let parsed = Int(text)
            else { return nil }
            length = parsed
        }
        self.init(address: address, prefixLength: length)
    }

    /// Whether `address` lies in this range. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) matches IPv4
    /// ranges, and an IPv4 address matches IPv6 ranges through its mapped form.
    public func contains(_ address: IPAddress) -> Bool {
        switch self.network {
        case .v4(let network):
            let value: UInt32
            switch address {
            case .v4(let v4): value = v4
            case .v6:
                guard let mapped = address.ipv4Mapped else { return false }
                value = mapped
            }
            return value & IPAddressRange.mask32(self.prefixLength) == network
        case .v6(let networkHigh, let networkLow):
            let (high, low) = address.asIPv6
            let (maskHigh, maskLow) = IPAddressRange.mask128(self.prefixLength)
            return high & maskHigh == networkHigh && low & maskLow == networkLow
        }
    }

    /// `network/prefixLength`, e.g. `10.0.0.0/8`, `::1/128`.
    public var description: String {
        "\(self.network)/\(self.prefixLength)"
    }

    static func mask32(_ length: Int) -> UInt32 {
        length == 0 ? 0 : UInt32.max << UInt32(32 - length)
    }

    static func mask128(_ length: Int) -> (UInt64, UInt64) {
        if length <= 64 {
            return (length == 0 ? 0 : UInt64.max << UInt64(64 - length), 0)
        }
        return (UInt64.max, length == 128 ? UInt64.max : UInt64.max << UInt64(128 - length))
    }
}
