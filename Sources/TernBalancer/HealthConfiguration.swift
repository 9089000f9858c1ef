import NIOCore

/// A kind of failed request that passive health checks may count against a member.
///
/// `rawValue` is the stable name used in configuration (`passive_health.count`), logs and metric labels.
public enum FailureKind: String, Sendable, Equatable, Hashable, CaseIterable {
    /// The connection could not be opened (refused, unreachable, connect timeout).
    case connect
    /// The connection closed or was reset before the response was complete.
    case reset
    /// No response head (or no body progress) within the configured timeout.
    case timeout
    /// The origin's answer could not be parsed or broke a limit (garbage, too many or too large fields, 1xx storm).
    case invalidResponse = "invalid_response"
    /// A `5xx` status (counted in a window, see ``HealthConfiguration/serverErrorThreshold``).
    case status5xx = "5xx"
    /// Active probes failed `fall` times in a row (never counted by passive checks; a reason in logs and metrics).
    case probe

    /// The transport failures passive checks count by default.
    public static let defaultCounted: Set<FailureKind> = [.connect, .reset, .timeout, .invalidResponse]
}

/// How one proxied request ended, as passive health sees it.
public enum RequestOutcome: Sendable, Equatable {
    /// A complete response with this status.
    case response(status: Int)
    /// The request failed without a complete response.
    case failure(FailureKind)
}

/// Thresholds for one pool's health checking: active probes (rise/fall) and passive ejection.
///
/// Defaults follow HAProxy for probes (`rise 2`, `fall 3`) and nginx's `max_fails`/`fail_timeout`
/// spirit for passive ejection (3 consecutive failed requests eject a member for 10 seconds).
/// Values of `rise` and `fall` below 1 are treated as 1; a `passiveMaxFailures` of 0 (or less)
/// turns passive ejection off.
public struct HealthConfiguration: Sendable, Equatable {
    /// Consecutive successful probes that bring an unhealthy member back.
    public var rise: Int
    /// Consecutive failed probes that mark a healthy member unhealthy.
    public var fall: Int
    /// Consecutive failed requests that eject a member; 0 disables passive ejection (both kinds).
    public var passiveMaxFailures: Int
    /// How long an ejected member stays out before it is tried again.
    public var passiveCooldown: TimeAmount
    /// Which transport failures count towards `passiveMaxFailures` (others are ignored: neither success nor failure).
    public var countedFailures: Set<FailureKind>
    /// `5xx` responses within `serverErrorWindow` that eject a member; 0 (the default) means 5xx never counts.
    public var serverErrorThreshold: Int
    /// The sliding window for `serverErrorThreshold`.
    public var serverErrorWindow: TimeAmount

    /// Creates a configuration; every parameter has a conservative default.
    public init(
        rise: Int = 2,
        fall: Int = 3,
        passiveMaxFailures: Int = 3,
        passiveCooldown: TimeAmount = .seconds(10),
        countedFailures: Set<FailureKind> = FailureKind.defaultCounted,
        serverErrorThreshold: Int = 0,
        serverErrorWindow: TimeAmount = .seconds(10)
    ) {
        self.rise = rise
        self.fall = fall
        self.passiveMaxFailures = passiveMaxFailures
        self.passiveCooldown = passiveCooldown
        self.countedFailures = countedFailures
        self.serverErrorThreshold = serverErrorThreshold
        self.serverErrorWindow = serverErrorWindow
    }

    /// The failure `outcome` counts as under this configuration, or `nil` when it counts as a
    /// success (a response that is not a counted 5xx) or not at all (an uncounted failure kind).
    public func countedFailure(_ outcome: RequestOutcome) -> FailureKind? {
        switch outcome {
        case .response(let status):
            return self.serverErrorThreshold > 0 && (500...599).contains(status) ? .status5xx : nil
        case .failure(let kind):
            return kind != .status5xx && kind != .probe && self.countedFailures.contains(kind) ? kind : nil
        }
    }
}
