/// Errors raised while building or reloading the WAF rule sets.
public enum WAFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libmodsecurity refused the configuration; `message` is the engine's own parser error.
    case ruleLoad(ruleSet: Int, message: String)
    /// A setting or exclusion is invalid (it would produce a broken or unsafe directive).
    case invalidSetting(String)
    /// A configuration template could not be read.
    case template(path: String, message: String)
    /// The audit log could not be opened.
    case auditLog(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .ruleLoad(let ruleSet, let message): return "WAF rule set \(ruleSet) failed to load: \(message)"
        case .invalidSetting(let message): return "invalid WAF setting: \(message)"
        case .template(let path, let message): return "WAF configuration template \(path): \(message)"
        case .auditLog(let path, let code): return "cannot open WAF audit log \(path) (errno \(code))"
        }
    }
}
