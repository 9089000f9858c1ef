/// The answer of `GET /readyz`: ready when every check passes.
public struct Readiness: Codable, Sendable, Equatable {
    /// One condition, such as `disk_tier` or `pool:app`.
    public struct Check: Codable, Sendable, Equatable {
        /// A stable name: `config`, `listeners`, `disk_tier`, `pool:<name>`.
        public var name: String
        /// Whether the condition holds.
        public var ok: Bool
        /// What a person should know, e.g. `0 of 2 members healthy`.
        public var detail: String?

        /// Creates a check.
        public init(name: String, ok: Bool, detail: String? = nil) {
            self.name = name
            self.ok = ok
            self.detail = detail
        }
    }

    /// Whether the node should receive traffic; `/readyz` answers 200 when true, 503 otherwise.
    public var ready: Bool
    /// The individual conditions.
    public var checks: [Check]

    /// Creates a readiness report.
    public init(ready: Bool, checks: [Check]) {
        self.ready = ready
        self.checks = checks
    }

    /// Ready exactly when every check is ok.
    public init(checks: [Check]) {
        self.init(ready: checks.allSatisfy(\.ok), checks: checks)
    }
}
