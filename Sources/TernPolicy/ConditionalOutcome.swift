/// The result of evaluating a request's preconditions (RFC 9110 §13.2.2).
public enum ConditionalOutcome: Sendable, Hashable {
    /// All preconditions passed (or none applied): perform the method.
    case proceed
    /// Respond 304 Not Modified (RFC 9110 §15.4.5); only for GET and HEAD.
    case notModified
    /// Respond 412 Precondition Failed (RFC 9110 §15.5.13).
    case preconditionFailed

    /// A stable name for logs, metrics and `Cache-Status` details.
    public var name: String {
        switch self {
        case .proceed: return "proceed"
        case .notModified: return "not-modified"
        case .preconditionFailed: return "precondition-failed"
        }
    }
}
