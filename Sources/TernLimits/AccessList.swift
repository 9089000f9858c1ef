import TernCore

/// An IP allow/deny list for client addresses, evaluated top to bottom as:
///
/// 1. an address in any `deny` range is refused (deny wins over allow);
/// 2. otherwise, if `allow` is empty, the address is permitted;
/// 3. otherwise it is permitted only if it is in an `allow` range.
///
/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) matches
/// IPv4 ranges, exactly like ``IPAddressRange/contains(_:)``.
///
/// Lookups cost one binary search per list over merged, sorted intervals: O(log n), no allocation.
/// With 1,000 random ranges a lookup takes well under a microsecond (see `Docs/security.md`).
///
/// Danger: this judges whatever address it is given. Feed it the address from
/// ``ClientIdentity/resolve(peer:forwardedFor:trusted:)``, never a raw header value.
public struct AccessList: Sendable, Hashable {
    /// The ranges that are permitted (all addresses when empty), as configured.
    public let allow: [IPAddressRange]
    /// The ranges that are always refused, as configured.
    public let deny: [IPAddressRange]

    private let allowSet: AddressIntervalSet
    private let denySet: AddressIntervalSet

    /// Creates a list; overlapping and duplicate ranges are fine.
    public init(allow: [IPAddressRange] = [], deny: [IPAddressRange] = []) {
        self.allow = allow
        self.deny = deny
        self.allowSet = AddressIntervalSet(allow)
        self.denySet = AddressIntervalSet(deny)
    }

    /// A list that permits every address.
    public static let permitAll = AccessList()

    /// Whether a client at `address` may proceed.
    public func permits(_ address: IPAddress) -> Bool {
        if self.denySet.contains(address) { return false }
        return self.allowSet.isEmpty || self.allowSet.contains(address)
    }
}
