import NIOConcurrencyHelpers

/// A bounded, thread-safe map from ``RateLimitKey`` to ``GCRAState``, deciding requests with ``GCRA``.
///
/// Use one table per policy: the stored state only makes sense against the limit it was built with.
///
/// Keys are spread over `stripes` independently locked dictionaries (by hash), each holding at most
/// ⌈`maximumKeys` / `stripes`⌉ keys, so the table never tracks more than `stripes` × that many keys.
///
/// Memory is bounded without a background task:
/// - A state that has decayed to "no debt" (`tat ≤ now`) is equivalent to no state, so forgetting it
///   changes no decision. ``expire(now:)`` drops all of them; call it periodically.
/// - When a stripe is full and a new key arrives, its idle states are dropped first. If it is still full,
///   the keys with the least debt (smallest `tat`, so closest to idle) are evicted until an eighth of the
///   stripe is free (batching keeps the cost amortised O(log n) per insertion under key floods).
///
/// Danger: an evicted key that still had debt starts over with a full burst. Size `maximumKeys` above the
/// number of clients that are concurrently in debt, and watch ``evictionCount``: a rising count means the
/// limiter is being forgiving, typically because an attacker spreads requests over many keys.
public final class RateLimiterTable: Sendable {
    struct Stripe {
        var states: [RateLimitKey: GCRAState] = [:]
    }

    private let stripes: [NIOLockedValueBox<Stripe>]
    private let evictions = NIOLockedValueBox(0)
    /// The most keys one stripe holds.
    public let stripeCapacity: Int

    /// Creates an empty table tracking about `maximumKeys` keys (at least one per stripe).
    public init(maximumKeys: Int = 100_000, stripes: Int = 16) {
        let stripeCount = max(1, stripes)
        self.stripeCapacity = max(1, (max(1, maximumKeys) + stripeCount - 1) / stripeCount)
        self.stripes = (0..<stripeCount).map { _ in NIOLockedValueBox(Stripe()) }
    }

    /// The most keys the whole table can hold.
    public var capacity: Int { self.stripeCapacity * self.stripes.count }

    /// Decides a request for `key` at `now` against `limit` and records it if admitted.
    public func check(key: RateLimitKey, limit: RateLimit, now: Int64) -> GCRA.Decision {
        let stripe = self.stripes[self.stripeIndex(key)]
        let (decision, evicted) = stripe.withLockedValue { stripe -> (GCRA.Decision, Int) in
            var state = stripe.states[key]
            if let existing = state, existing.isIdle(at: now) { state = nil }
            let decision = GCRA.check(state: &state, limit: limit, now: now)
            guard decision.isAllowed, let state else { return (decision, 0) }
            var evicted = 0
            if stripe.states[key] == nil, stripe.states.count >= self.stripeCapacity {
                evicted = Self.makeRoom(&stripe, capacity: self.stripeCapacity, now: now)
            }
            stripe.states[key] = state
            return (decision, evicted)
        }
        if evicted > 0 { self.evictions.withLockedValue { $0 += evicted } }
        return decision
    }

    /// Drops every state that has no debt at `now`; returns how many were dropped.
    @discardableResult
    public func expire(now: Int64) -> Int {
        var dropped = 0
        for stripe in self.stripes {
            dropped += stripe.withLockedValue { stripe in
                let before = stripe.states.count
                stripe.states = stripe.states.filter { !$0.value.isIdle(at: now) }
                return before - stripe.states.count
            }
        }
        return dropped
    }

    /// The state recorded for `key`, if any (possibly idle).
    public func state(for key: RateLimitKey) -> GCRAState? {
        self.stripes[self.stripeIndex(key)].withLockedValue { $0.states[key] }
    }

    /// The number of keys currently tracked.
    public var count: Int {
        self.stripes.reduce(0) { total, stripe in total + stripe.withLockedValue { $0.states.count } }
    }

    /// The number of keys evicted while still in debt since the table was created.
    public var evictionCount: Int {
        self.evictions.withLockedValue { $0 }
    }

    private func stripeIndex(_ key: RateLimitKey) -> Int {
        Int(UInt(bitPattern: key.hashValue) % UInt(self.stripes.count))
    }

    /// Frees space in a full stripe; returns the number of keys evicted with debt.
    static func makeRoom(_ stripe: inout Stripe, capacity: Int, now: Int64) -> Int {
        stripe.states = stripe.states.filter { !$0.value.isIdle(at: now) }
        guard stripe.states.count >= capacity else { return 0 }
        let target = capacity - max(1, capacity / 8)
        let excess = stripe.states.count - target
        let victims = stripe.states.sorted { $0.value.tat < $1.value.tat }.prefix(excess)
        for victim in victims { stripe.states.removeValue(forKey: victim.key) }
        return victims.count
    }
}
