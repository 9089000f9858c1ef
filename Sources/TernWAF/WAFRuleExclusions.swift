/// One route's rule exclusions, compiled into its own engine rule set.
///
/// Rendered after the CRS rules as `SecRuleRemoveById`, `SecRuleRemoveByTag`,
/// `SecRuleUpdateTargetById` and `SecRuleUpdateTargetByTag` directives. Danger: every exclusion widens
/// what reaches the origin; prefer a target exclusion (one argument of one rule) over removing a rule.
public struct WAFRuleExclusions: Sendable, Hashable {
    /// A variable removed from what a rule (or every rule carrying a tag) inspects.
    public struct Target: Sendable, Hashable {
        /// The rule whose targets change; exactly one of `ruleID` and `tag` is set.
        public var ruleID: Int?
        /// The tag (exact, e.g. `attack-sqli`) whose rules' targets change.
        public var tag: String?
        /// A ModSecurity collection member such as `ARGS:q`, `REQUEST_HEADERS:Referer` or `REQUEST_COOKIES:session`.
        public var target: String

        public init(ruleID: Int? = nil, tag: String? = nil, target: String) {
            self.ruleID = ruleID
            self.tag = tag
            self.target = target
        }

        /// Excludes query/form argument `name` (`ARGS:name`).
        public static func argument(_ name: String, ruleID: Int? = nil, tag: String? = nil) -> Target {
            Target(ruleID: ruleID, tag: tag, target: "ARGS:\(name)")
        }

        /// Excludes request header `name` (`REQUEST_HEADERS:name`).
        public static func header(_ name: String, ruleID: Int? = nil, tag: String? = nil) -> Target {
            Target(ruleID: ruleID, tag: tag, target: "REQUEST_HEADERS:\(name)")
        }
    }

    /// Rules removed entirely.
    public var ruleIDs: [Int]
    /// Tags whose rules are removed entirely.
    public var tags: [String]
    /// Variables removed from some rules' inspection.
    public var targets: [Target]

    public init(ruleIDs: [Int] = [], tags: [String] = [], targets: [Target] = []) {
        self.ruleIDs = ruleIDs
        self.tags = tags
        self.targets = targets
    }

    /// No exclusions.
    public static let none = WAFRuleExclusions()

    /// The ModSecurity directives for these exclusions; throws on anything that could break out of a directive.
    func directives() throws -> String {
        var lines: [String] = []
        for id in self.ruleIDs {
            guard id > 0 else { throw WAFError.invalidSetting("rule id \(id) must be positive") }
            lines.append("SecRuleRemoveById \(id)")
        }
        for tag in self.tags {
            try Self.validateToken(tag, what: "tag")
            lines.append("SecRuleRemoveByTag \"\(tag)\"")
        }
        for target in self.targets {
            try Self.validateTarget(target.target)
            switch (target.ruleID, target.tag) {
            case (let id?, nil):
                guard id > 0 else { throw WAFError.invalidSetting("rule id \(id) must be positive") }
                lines.append("SecRuleUpdateTargetById \(id) \"!\(target.target)\"")
            case (nil, let tag?):
                try Self.validateToken(tag, what: "tag")
                lines.append("SecRuleUpdateTargetByTag \"\(tag)\" \"!\(target.target)\"")
            default:
                throw WAFError.invalidSetting("target exclusion \(target.target) needs exactly one of rule id or tag")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func validateToken(_ value: String, what: String) throws {
        let forbidden: Set<Character> = ["\"", "\\", "'", "\n", "\r", " ", "\t", ","]
        guard !value.isEmpty, !value.contains(where: { forbidden.contains($0) || $0.asciiValue.map { $0 < 0x20 } == true }) else {
            throw WAFError.invalidSetting("\(what) \(value.debugDescription) is empty or contains quotes, spaces or control characters")
        }
    }

    private static let collections: Set<String> = [
        "ARGS", "ARGS_GET", "ARGS_POST", "ARGS_NAMES", "ARGS_GET_NAMES", "ARGS_POST_NAMES",
        "REQUEST_HEADERS", "REQUEST_HEADERS_NAMES", "REQUEST_COOKIES", "REQUEST_COOKIES_NAMES",
        "FILES", "FILES_NAMES", "XML", "TX",
    ]

    private static func validateTarget(_ target: String) throws {
        let parts = target.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, Self.collections.contains(String(parts[0]).uppercased()) else {
            throw WAFError.invalidSetting(
                "exclusion target \(target.debugDescription) must be COLLECTION:name with COLLECTION one of \(Self.collections.sorted().joined(separator: ", "))"
            )
        }
        try Self.validateToken(String(parts[1]), what: "target name")
        guard !parts[1].contains("|") else { throw WAFError.invalidSetting("target name must not contain '|'") }
    }
}
