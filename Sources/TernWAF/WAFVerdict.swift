/// One rule that matched during a transaction, as reported by the engine's log for that transaction.
public struct WAFRuleMatch: Sendable, Equatable {
    /// CRS / ModSecurity rule id, e.g. 942100.
    public var id: Int
    /// The rule's `msg`.
    public var message: String
    /// ModSecurity severity number (0 emergency … 2 critical, 3 error, 4 warning, 5 notice), when set.
    public var severity: Int?
    /// The rule's tags as logged (libmodsecurity 3.0.9 logs tags for disruptive matches only).
    public var tags: [String]
    /// The rule's `logdata` (already truncated and escaped by the engine; may contain client input).
    public var data: String
    /// True for the match that carried the intervention (e.g. 949110).
    public var disruptive: Bool

    public init(id: Int, message: String, severity: Int? = nil, tags: [String] = [], data: String = "", disruptive: Bool = false) {
        self.id = id
        self.message = message
        self.severity = severity
        self.tags = tags
        self.data = data
        self.disruptive = disruptive
    }
}

/// What the proxy must do with a request or response after inspection.
public enum WAFAction: Sendable, Equatable {
    /// Continue normally.
    case pass
    /// Answer `status` with Tern's small block page carrying the request id.
    case deny(status: Int)
    /// Answer `status` (3xx) with `Location: url`.
    case redirect(status: Int, url: String)
}

/// Why the verdict is what it is; each case has a stable string for logs, metrics and the access log.
public enum WAFOutcome: String, Sendable, Equatable {
    /// Mode `off`: the engine did not run.
    case off
    /// The engine ran and no rule matched.
    case clean
    /// Rules matched but the engine did not intervene (score below the threshold).
    case matched
    /// Detection-only: the engine would have intervened; the request passes.
    case detected
    /// Denied by the engine.
    case blocked
    /// Redirected by the engine.
    case redirected
    /// Body longer than the limit with `bodyLimitAction = .reject` (413).
    case bodyTooLarge = "body_too_large"
    /// The worker queue was full; `action` is `.pass` (fail-open) or `.deny(503)` (fail-closed).
    case overloaded
    /// The engine could not process the request (e.g. unknown rule set); handled like overload.
    case error
    /// Tern's HTTP layer refused the request (see ``WAFRequest/refusedStatus``); the engine judged it
    /// for the audit log only.
    case refused
}

/// The result of ``WAFEngine/inspectRequest(_:ruleSet:mode:on:)``.
public struct WAFRequestVerdict: Sendable {
    public var action: WAFAction
    public var outcome: WAFOutcome
    /// Every rule match of this request, in engine order (exactly this transaction's).
    public var matches: [WAFRuleMatch]
    /// CRS inbound anomaly score after phase 2; `nil` when the engine did not run.
    public var anomalyScore: Int?
    /// The live transaction when the request passes; hand it to `inspectResponse` or `finish`.
    /// `nil` when the engine did not run or already finished the transaction (denied requests).
    public var transaction: WAFTransactionHandle?

    public init(action: WAFAction, outcome: WAFOutcome, matches: [WAFRuleMatch] = [], anomalyScore: Int? = nil, transaction: WAFTransactionHandle? = nil) {
        self.action = action
        self.outcome = outcome
        self.matches = matches
        self.anomalyScore = anomalyScore
        self.transaction = transaction
    }

    /// Matched rule ids, in order.
    public var ruleIDs: [Int] { self.matches.map(\.id) }
}

/// The result of ``WAFEngine/inspectResponse(_:status:headers:body:on:)``.
public struct WAFResponseVerdict: Sendable {
    public var action: WAFAction
    public var outcome: WAFOutcome
    /// Matches added by the response phases only.
    public var matches: [WAFRuleMatch]

    public init(action: WAFAction, outcome: WAFOutcome, matches: [WAFRuleMatch] = []) {
        self.action = action
        self.outcome = outcome
        self.matches = matches
    }
}
