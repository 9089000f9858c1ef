import NIOConcurrencyHelpers

/// Counts open connections per key to cap concurrent connections per client.
///
/// Call ``tryAcquire(_:max:)`` when a connection is accepted and, only if it returned `true`,
/// ``release(_:)`` exactly once when that connection closes. Keys whose count returns to zero are
/// removed, so memory is proportional to the keys with open connections.
///
/// Danger: a missed release leaks a slot forever and eventually locks the client out; release from the
/// channel's close path (e.g. `channelInactive`), which runs for every accepted channel.
public final class ConnectionCounter: Sendable {
    private let counts = NIOLockedValueBox([RateLimitKey: Int]())

    /// Creates an empty counter.
    public init() {}

    /// Takes a slot for `key` if fewer than `max` are held; `false` means refuse the connection.
    public func tryAcquire(_ key: RateLimitKey, max: Int) -> Bool {
        self.counts.withLockedValue { counts in
            let current = counts[key, default: 0]
            guard current < max else { return false }
            counts[key] = current + 1
            return true
        }
    }

    /// Returns a slot taken by a successful ``tryAcquire(_:max:)``. Releasing a key with no slots is ignored.
    public func release(_ key: RateLimitKey) {
        self.counts.withLockedValue { counts in
            guard let current = counts[key] else { return }
            if current <= 1 { counts.removeValue(forKey: key) } else { counts[key] = current - 1 }
        }
    }

    /// The number of slots `key` holds.
    public func count(for key: RateLimitKey) -> Int {
        self.counts.withLockedValue { $0[key, default: 0] }
    }

    /// The number of keys holding at least one slot.
    public var trackedKeys: Int {
        self.counts.withLockedValue { $0.count }
    }
}
