/// Ejection of members after failed real requests (key `passive_health`).
///
/// The pool's last available member is never ejected by passive checks (the runtime logs and
/// counts that it would have been, and keeps sending to it).
public struct PassiveHealthConfig: Sendable, Equatable {
    /// A transport failure that may count towards `max_failures` (key `count`).
    public enum Failure: String, Sendable, Equatable, CaseIterable {
        /// Connecting failed (refused, unreachable, connect timeout).
        case connect
        /// The connection closed or was reset before the response was complete.
        case reset
        /// `first_byte` or `idle` timeout.
        case timeout
        /// An unparsable answer or one over the `response_limits`.
        case invalidResponse = "invalid_response"
    }

    /// `5xx` responses that eject a member (key `http_5xx`).
    public struct ServerErrors: Sendable, Equatable {
        /// This many 5xx responses ...
        public var threshold: Int
        /// ... within this sliding window eject the member.
        public var window: Duration

        /// Creates a 5xx rule.
        public init(threshold: Int = 5, window: Duration = .seconds(10)) {
            self.threshold = threshold
            self.window = window
        }
    }

    /// Consecutive counted failures before a member is ejected; 0 disables passive ejection.
    public var maxFailures: Int
    /// How long an ejected member is left out before it is tried again.
    public var cooldown: Duration
    /// Which transport failures count (default: all four).
    public var count: [Failure]
    /// When set, 5xx responses count too (in a window); `nil` (the default): statuses never count.
    public var serverErrors: ServerErrors?

    /// Creates a passive health policy.
    public init(
        maxFailures: Int = 3, cooldown: Duration = .seconds(10), count: [Failure] = Failure.allCases,
        serverErrors: ServerErrors? = nil
    ) {
        self.maxFailures = maxFailures
        self.cooldown = cooldown
        self.count = count
        self.serverErrors = serverErrors
    }

    /// `max_failures: 3`, `cooldown: 10s`, every transport failure counted, 5xx not counted.
    public static let `default` = PassiveHealthConfig()
}
