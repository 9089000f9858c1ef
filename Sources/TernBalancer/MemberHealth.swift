import NIOCore

/// Health of one member: active probes (rise/fall) and passive ejection (N consecutive request failures → out for a cool-down).
///
/// Two independent signals, both must allow traffic for ``isAvailable(now:)`` to be true:
///
/// - **Probe state** (active checks): starts ``ProbeState/healthy`` — an optimistic start, as
///   nginx does, so a freshly loaded pool serves before its first probe completes.
///   `fall` consecutive failed probes make it unhealthy; `rise` consecutive successes make it
///   healthy again. A success resets the failure streak and vice versa.
/// - **Ejection** (passive checks on real requests): `passiveMaxFailures` consecutive failed
///   requests eject the member until `now + passiveCooldown`; any successful request resets the
///   streak. Ejection expires by time alone — a probe does not cut it short — and request
///   results that arrive while ejected (requests sent before the ejection) are ignored, so
///   they neither extend the ejection nor count towards the next one.
///
/// No clock is read: every event carries `now`. The value is meant to be shared by all event
/// loops of a pool (the runtime guards it), unlike ``Balancer`` which is per loop.
public struct MemberHealth: Sendable, Equatable {
    /// The verdict of active probing.
    public enum ProbeState: String, Sendable, Equatable {
        /// Probes pass (or none has failed `fall` times in a row yet); the initial state.
        case healthy
        /// `fall` consecutive probes failed and `rise` consecutive successes have not followed.
        case unhealthy
    }

    /// What one recorded event changed, for logs, metrics and the runtime.
    public enum Transition: Sendable, Equatable {
        /// Probes failed `fall` times in a row: the member left service.
        case becameUnhealthy
        /// Probes passed `rise` times in a row: the member returned to service.
        case becameHealthy
        /// Requests failed `passiveMaxFailures` times in a row: the member is out until the deadline.
        case ejected(until: NIODeadline)
        /// Requests failed enough to eject the member, but it was the pool's last available one:
        /// it stays in service (the failure count starts afresh).
        case ejectionSuppressed
        /// Nothing changed state.
        case none

        /// A stable name for logs and metrics.
        public var name: String {
            switch self {
            case .becameUnhealthy: return "became_unhealthy"
            case .becameHealthy: return "became_healthy"
            case .ejected: return "ejected"
            case .ejectionSuppressed: return "ejection_suppressed"
            case .none: return "none"
            }
        }
    }

    /// The thresholds in force.
    public let configuration: HealthConfiguration

    /// The verdict of active probing.
    public private(set) var probeState: ProbeState

    /// The end of the current passive ejection, if any (it may already have passed).
    public private(set) var ejectedUntil: NIODeadline?

    /// Successful probes in a row.
    public private(set) var consecutiveProbeSuccesses: Int = 0

    /// Failed probes in a row.
    public private(set) var consecutiveProbeFailures: Int = 0

    /// Failed requests in a row since the last success or ejection.
    public private(set) var consecutiveRequestFailures: Int = 0

    /// Times of the counted 5xx responses inside the current window (at most `serverErrorThreshold`).
    public private(set) var recentServerErrors: [NIODeadline] = []

    /// Why the current (or last) passive ejection happened.
    public private(set) var lastEjectionReason: FailureKind?

    /// Creates the health of a member that starts healthy and not ejected.
    public init(configuration: HealthConfiguration) {
        self.init(configuration: configuration, probeState: .healthy)
    }

    /// Creates the health of a member with an explicit starting probe state.
    public init(configuration: HealthConfiguration, probeState: ProbeState) {
        self.configuration = configuration
        self.probeState = probeState
        self.ejectedUntil = nil
    }

    /// Whether the member may receive requests: healthy by probe and not ejected at `now`.
    public func isAvailable(now: NIODeadline) -> Bool {
        self.probeState == .healthy && !self.isEjected(now: now)
    }

    /// Whether a passive ejection is in force at `now` (it ends at `ejectedUntil`, exclusive).
    public func isEjected(now: NIODeadline) -> Bool {
        guard let until = self.ejectedUntil else { return false }
        return now < until
    }

    /// Records one active probe result; `fall` failures in a row → unhealthy, `rise` successes in a row → healthy.
    public mutating func recordProbe(success: Bool, now: NIODeadline) -> Transition {
        self.clearExpiredEjection(now: now)
        if success {
            self.consecutiveProbeFailures = 0
            self.consecutiveProbeSuccesses = Self.increment(self.consecutiveProbeSuccesses)
            if self.probeState == .unhealthy,
                self.consecutiveProbeSuccesses >= max(1, self.configuration.rise)
            {
                self.probeState = .healthy
                return .becameHealthy
            }
        } else {
            self.consecutiveProbeSuccesses = 0
            self.consecutiveProbeFailures = Self.increment(self.consecutiveProbeFailures)
            if self.probeState == .healthy,
                self.consecutiveProbeFailures >= max(1, self.configuration.fall)
            {
                self.probeState = .unhealthy
                return .becameUnhealthy
            }
        }
        return .none
    }

    /// Records one proxied request's outcome; `passiveMaxFailures` failures in a row → ejected until `now + passiveCooldown`.
    ///
    /// `success: false` is a counted transport failure (``FailureKind/connect``).
    public mutating func recordRequest(success: Bool, now: NIODeadline) -> Transition {
        self.recordRequest(success ? .response(status: 200) : .failure(.connect), now: now, mayEject: true)
    }

    /// Records one proxied request's outcome.
    ///
    /// - A response that is not a counted 5xx resets the streak of transport failures.
    /// - A counted transport failure (``HealthConfiguration/countedFailures``) extends it;
    ///   `passiveMaxFailures` in a row eject the member until `now + passiveCooldown`.
    /// - A counted 5xx (``HealthConfiguration/serverErrorThreshold`` > 0) also resets the transport
    ///   streak (the origin answered) and is remembered for `serverErrorWindow`; `serverErrorThreshold`
    ///   of them inside the window eject the member.
    /// - An uncounted failure changes nothing.
    /// - `mayEject: false` (the pool's last available member): where the member would have been
    ///   ejected, it is not; ``Transition/ejectionSuppressed`` is returned and the counts start afresh.
    public mutating func recordRequest(_ outcome: RequestOutcome, now: NIODeadline, mayEject: Bool) -> Transition {
        self.clearExpiredEjection(now: now)
        guard self.configuration.passiveMaxFailures > 0 else { return .none }
        let counted = self.configuration.countedFailure(outcome)
        if case .response = outcome { self.consecutiveRequestFailures = 0 }
        guard let reason = counted else { return .none }
        // Late results of requests sent before the ejection neither extend nor seed it.
        guard !self.isEjected(now: now) else { return .none }
        if reason == .status5xx {
            let windowStart = now - self.configuration.serverErrorWindow
            self.recentServerErrors.removeAll { $0 <= windowStart }
            self.recentServerErrors.append(now)
            guard self.recentServerErrors.count >= self.configuration.serverErrorThreshold else { return .none }
        } else {
            self.consecutiveRequestFailures += 1
            guard self.consecutiveRequestFailures >= self.configuration.passiveMaxFailures else { return .none }
        }
        self.consecutiveRequestFailures = 0
        self.recentServerErrors.removeAll()
        guard mayEject else { return .ejectionSuppressed }
        let until = now + self.configuration.passiveCooldown
        self.ejectedUntil = until
        self.lastEjectionReason = reason
        return .ejected(until: until)
    }

    /// Ends a passive ejection whose deadline is at or before `now`; returns whether one ended.
    public mutating func expireEjection(now: NIODeadline) -> Bool {
        guard let until = self.ejectedUntil, now >= until else { return false }
        self.ejectedUntil = nil
        return true
    }

    /// Forgets an ejection whose deadline is at or before `now`.
    private mutating func clearExpiredEjection(now: NIODeadline) {
        if let until = self.ejectedUntil, now >= until {
            self.ejectedUntil = nil
        }
    }

    /// `value + 1`, saturating instead of trapping.
    private static func increment(_ value: Int) -> Int {
        value == .max ? value : value + 1
    }
}
