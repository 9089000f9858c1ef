import TernCore

/// An IP access list (key `access`: top level, per listener, per route). `nil` where it is held means none.
///
/// A client address in any ``deny`` range is refused (deny wins); otherwise it is admitted when ``allow`` is
/// empty or contains it. Overlapping ranges are fine.
public struct AccessListConfig: Sendable, Equatable {
    /// Ranges admitted (key `allow`, default `[]` = everyone not denied). De-duplicated, in file order.
    public var allow: [IPAddressRange]
    /// Ranges refused, even when also allowed (key `deny`, default `[]`). De-duplicated, in file order.
    public var deny: [IPAddressRange]

    /// Creates an access list; values are taken as given (no validation).
    public init(allow: [IPAddressRange] = [], deny: [IPAddressRange] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Admits everyone.
    public static let `default` = AccessListConfig()

    /// Whether `address` is admitted: not in ``deny``, and in ``allow`` unless it is empty.
    public func permits(_ address: IPAddress) -> Bool {
        if self.deny.contains(where: { $0.contains(address) }) { return false }
        return self.allow.isEmpty || self.allow.contains(where: { $0.contains(address) })
    }
}
