import TernCore

/// What a rate limit or connection limit counts against: a client network or an arbitrary string
/// (an API key, a route name…).
///
/// ``forClient(_:ipv4Prefix:ipv6Prefix:)`` buckets IPv6 clients by /64 by default: one subscriber or
/// host usually gets a whole /64 (RFC 6177), so per-address IPv6 keys would let one client rotate through
/// 2⁶⁴ identities. IPv4-mapped IPv6 addresses are keyed as the IPv4 address they carry.
public struct RateLimitKey: Sendable, Hashable, CustomStringConvertible {
    enum Storage: Sendable, Hashable {
        case network(IPAddressRange)
        case string(String)
    }

    let storage: Storage

    /// A key for an arbitrary string.
    public init(_ string: String) {
        self.storage = .string(string)
    }

    /// The key for a client address: IPv4 masked to `ipv4Prefix` (default /32, the address itself),
    /// IPv6 masked to `ipv6Prefix` (default /64). Prefixes are clamped to the family's range.
    public static func forClient(_ address: IPAddress, ipv4Prefix: Int = 32, ipv6Prefix: Int = 64) -> RateLimitKey {
        let normalized: IPAddress
        if let mapped = address.ipv4Mapped { normalized = .v4(mapped) } else { normalized = address }
        let prefix = normalized.isIPv4 ? min(max(ipv4Prefix, 0), 32) : min(max(ipv6Prefix, 0), 128)
        // The prefix is clamped to the family's range, so the fallback is unreachable.
        guard let range = IPAddressRange(address: normalized, prefixLength: prefix) else {
            return RateLimitKey(normalized.description)
        }
        return RateLimitKey(storage: .network(range))
    }

    init(storage: Storage) {
        self.storage = storage
    }

    /// The address for a full-length client key (`203.0.113.7`), `network/prefix` for a bucket
    /// (`2001:db8::/64`), or the string.
    public var description: String {
        switch self.storage {
        case .network(let range):
            let full = range.network.isIPv4 ? 32 : 128
            return range.prefixLength == full ? range.network.description : range.description
        case .string(let string):
            return string
        }
    }
}
