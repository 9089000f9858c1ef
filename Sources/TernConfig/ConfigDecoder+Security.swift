import class Foundation.FileManager
import TernCore
import TernLimits
import Yams

extension ConfigDecoder {
    static let wafKeys = [
        "mode", "paranoia_level", "inbound_anomaly_threshold", "outbound_anomaly_threshold", "request_body_limit",
        "body_limit_action", "threads", "queue_limit", "overload", "audit_log", "inspect_response_headers", "config_dir",
    ]
    static let routeWAFKeys = ["mode", "exclude_rules", "exclude_tags", "exclude_args", "exclude_headers"]
    static let accessKeys = ["allow", "deny"]
    static let rateLimitPolicyKeys = ["rate", "key", "ipv6_prefix"]
    static let rateLimitKeyKinds = ["client", "route", "header:<Name>"]
    static let wafModes = WAFModeConfig.allCases.map(\.rawValue)
    /// ModSecurity rule IDs are positive 32-bit numbers.
    static let wafRuleIDRange = 1...4_294_967_295

    // MARK: WAF

    /// Decodes the top-level `waf:`; a null value is the default (mode off).
    mutating func decodeWAF(_ entry: Entry) -> WAFConfig {
        var waf = WAFConfig()
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.wafKeys,
                what: "waf: {mode: on, paranoia_level: 1}"
            )
        else { return waf }
        if let e = fields["mode"], let mode = self.wafMode(e) {
            waf.mode = mode
        }
        if let e = fields["paranoia_level"],
            let value = self.int(
                e, range: 1...4,
                example: "paranoia levels are 1 (the default, fewest false positives) to 4 (strictest)"
            )
        {
            waf.paranoiaLevel = value
        }
        if let e = fields["inbound_anomaly_threshold"],
            let value = self.int(e, range: 1...Int.max, example: "the OWASP CRS default is 5; higher blocks less")
        {
            waf.inboundAnomalyThreshold = value
        }
        if let e = fields["outbound_anomaly_threshold"],
            let value = self.int(e, range: 1...Int.max, example: "the OWASP CRS default is 4; higher blocks less")
        {
            waf.outboundAnomalyThreshold = value
        }
        if let e = fields["request_body_limit"], let value = self.byteCount(e, positive: true) {
            waf.requestBodyLimit = value
        }
        if let e = fields["body_limit_action"],
            let text = self.choice(e, WAFConfig.BodyLimitAction.allCases.map(\.rawValue), noun: "body limit action"),
            let action = WAFConfig.BodyLimitAction(rawValue: text)
        {
            waf.bodyLimitAction = action
        }
        if let e = fields["threads"] {
            if case .scalar(let scalar) = e.value, scalar.string == "auto" {
                waf.threads = nil
            } else if let text = self.string(e, expected: "'auto' or a number of threads") {
                if let value = Int(text) {
                    if (1...64).contains(value) {
                        waf.threads = value
                    } else {
                        self.report(e.value.mark, "\(e.path): must be in 1...64, got \(value)",
                                    hint: "or write threads: auto for one per CPU core")
                    }
                } else {
                    self.report(e.value.mark, "\(e.path): expected 'auto' or an integer, got '\(text)'",
                                hint: "write threads: auto, or a number such as threads: 4")
                }
            }
        }
        if let e = fields["queue_limit"],
            let value = self.int(e, range: 1...1_000_000, example: "requests waiting for an inspection thread; default 1024")
        {
            waf.queueLimit = value
        }
        if let e = fields["overload"],
            let text = self.choice(e, WAFConfig.OverloadAction.allCases.map(\.rawValue), noun: "overload action"),
            let action = WAFConfig.OverloadAction(rawValue: text)
        {
            waf.overload = action
        }
        if let e = fields["audit_log"] {
            if case .scalar(let scalar) = e.value, scalar.string == "off", scalar.style == .plain || scalar.style == .any {
                waf.auditLog = nil
            } else if let path = self.filePath(e) {
                waf.auditLog = path
            }
        }
        if let e = fields["inspect_response_headers"], let value = self.bool(e) {
            waf.inspectResponseHeaders = value
        }
        if let e = fields["config_dir"], let path = self.filePath(e) {
            let missing = ["modsecurity.conf.template", "crs-setup.conf.template"].filter {
                !FileManager.default.fileExists(atPath: "\(path)/\($0)")
            }
            if missing.isEmpty {
                waf.configDirectory = path
            } else {
                self.report(
                    e.value.mark, "\(e.path): \(path) has no \(missing.joined(separator: " or "))",
                    hint: "copy Config/modsecurity/*.template there and edit the copies"
                )
            }
        }
        return waf
    }

    /// `on`, `detection_only` or `off`.
    mutating func wafMode(_ entry: Entry) -> WAFModeConfig? {
        guard let text = self.string(entry, expected: "one of \(ConfigDecoder.wafModes.joined(separator: ", "))") else {
            return nil
        }
        if let mode = WAFModeConfig(rawValue: text) { return mode }
        var hint = Suggestions.hint(for: text, candidates: ConfigDecoder.wafModes, noun: "modes")
        if ["true", "false", "yes", "no"].contains(text.lowercased()) {
            hint = "write on or off, not \(text); " + hint
        }
        self.report(entry.value.mark, "\(entry.path): unknown WAF mode '\(text)'", hint: hint)
        return nil
    }

    /// Decodes a route's `waf:`; a null value is the default (the global mode, no exclusions).
    mutating func decodeRouteWAF(_ entry: Entry) -> RouteWAFConfig? {
        var waf = RouteWAFConfig()
        let errorCount = self.errors.count
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.routeWAFKeys,
                what: "waf: {mode: detection_only, exclude_rules: [942100]}"
            )
        else { return nil }
        if let e = fields["mode"], let mode = self.wafMode(e) {
            waf.mode = mode
        }
        if let e = fields["exclude_rules"],
            let items = self.list(e, scalarIsList: true, example: "exclude_rules: [942100, 920350]")
        {
            var ids: [Int] = []
            for (node, path) in items {
                let item = Entry.item(node, path: path)
                guard let text = self.string(item, expected: "a rule ID") else { continue }
                guard let id = Int(text) else {
                    self.report(
                        node.mark, "\(path): expected a rule ID (a whole number), got '\(text)'",
                        hint: text.contains("-")
                            ? "list each rule ID on its own, e.g. [942100, 942101]; ranges are not supported"
                            : "write the numeric ID of an OWASP CRS or custom rule, e.g. 942100; exclude a rule family with exclude_tags"
                    )
                    continue
                }
                guard ConfigDecoder.wafRuleIDRange.contains(id) else {
                    self.report(node.mark, "\(path): rule IDs are 1...4294967295, got \(id)",
                                hint: "write the numeric ID of a rule, e.g. 942100")
                    continue
                }
                if !ids.contains(id) { ids.append(id) }
            }
            waf.excludeRuleIDs = ids
        }
        if let e = fields["exclude_tags"] {
            waf.excludeTags = self.wafNames(
                e, expected: "a rule tag", example: "exclude_tags: [attack-sqli, paranoia-level/2]",
                hint: "a tag is one word such as attack-sqli or OWASP_CRS/WEB_ATTACK/SQL_INJECTION", lowercase: false
            )
        }
        if let e = fields["exclude_args"] {
            waf.excludeArguments = self.wafNames(
                e, expected: "an argument name", example: "exclude_args: [password, json.body]",
                hint: "write the query or form parameter name, e.g. password", lowercase: false
            )
        }
        if let e = fields["exclude_headers"],
            let items = self.list(e, scalarIsList: true, example: "exclude_headers: [cookie, x-signature]")
        {
            var names: [String] = []
            for (node, path) in items {
                guard let text = self.cleanString(.item(node, path: path), expected: "a header name") else { continue }
                guard HTTPSyntax.isToken(text) else {
                    self.report(node.mark, "\(path): '\(text)' is not a valid header name",
                                hint: "header names are tokens such as x-signature, see RFC 9110 §5.1")
                    continue
                }
                let lowered = text.lowercased()
                if !names.contains(lowered) { names.append(lowered) }
            }
            waf.excludeHeaders = names
        }
        return self.errors.count == errorCount ? waf : nil
    }

    /// A list (or one) of non-empty names without spaces or control characters, de-duplicated.
    private mutating func wafNames(
        _ entry: Entry, expected: String, example: String, hint: String, lowercase: Bool
    ) -> [String] {
        guard let items = self.list(entry, scalarIsList: true, example: example) else { return [] }
        var names: [String] = []
        for (node, path) in items {
            guard let text = self.cleanString(.item(node, path: path), expected: expected) else { continue }
            if text.contains(where: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "'" || $0 == "\"" }) {
                self.report(node.mark, "\(path): '\(text)' is not \(expected)", hint: hint + "; list several as separate items")
                continue
            }
            let name = lowercase ? text.lowercased() : text
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    // MARK: Access lists

    /// Decodes `access: {allow: […], deny: […]}`; a null value means no list (`nil`).
    mutating func decodeAccessList(_ entry: Entry) -> AccessListConfig? {
        if ConfigDecoder.isNull(entry.value) { return nil }
        guard
            let fields = self.fields(
                entry.value, path: entry.path, allowed: ConfigDecoder.accessKeys,
                what: "access: {allow: [10.0.0.0/8], deny: [10.0.0.7]}"
            )
        else { return nil }
        var access = AccessListConfig()
        if let e = fields["allow"], let ranges = self.cidrList(e, example: "allow: [10.0.0.0/8, \"2001:db8::/32\"]") {
            access.allow = ranges
        }
        if let e = fields["deny"], let ranges = self.cidrList(e, example: "deny: [192.0.2.0/24, \"::1\"]") {
            access.deny = ranges
        }
        return access
    }

    // MARK: Rate limits

    /// Decodes the top-level `rate_limits` (a mapping of name → policy). Returns the policies that decoded cleanly
    /// and every declared name (so routes naming a broken policy get no second error).
    mutating func decodeRateLimits(_ entry: Entry) -> ([RateLimitPolicyConfig], [String]) {
        if ConfigDecoder.isNull(entry.value) { return ([], []) }
        guard case .mapping(let mapping) = entry.value else {
            self.report(
                entry.value.mark ?? entry.keyMark,
                "rate_limits: expected a mapping of policy names to policies, got \(ConfigDecoder.describe(entry.value))",
                hint: "write e.g. rate_limits: {api: {rate: \"100r/s:200\", key: client}}"
            )
            return ([], [])
        }
        var policies: [RateLimitPolicyConfig] = []
        var names: [String] = []
        for (keyNode, value) in mapping {
            guard case .scalar(let keyScalar) = keyNode, !ConfigDecoder.isNull(keyNode) else {
                self.report(keyNode.mark, "rate_limits: policy names must be strings, got \(ConfigDecoder.describe(keyNode))",
                            hint: "write e.g. api: {rate: \"100r/s\"}")
                continue
            }
            let name = keyScalar.string
            let path = "rate_limits.\(name)"
            if name == "<<", keyScalar.style == .plain {
                self.report(keyNode.mark, "rate_limits: merge keys are not supported here",
                            hint: "use a merge key inside a policy instead, e.g. api: {<<: *common, rate: 10r/s}")
                continue
            }
            if !ConfigDecoder.isValidName(name) {
                self.report(keyNode.mark, "\(path): invalid policy name '\(name)'",
                            hint: "use letters, digits, '-', '_' and '.' only")
                continue
            }
            if names.contains(name) {
                self.report(keyNode.mark, "\(path): duplicate policy name '\(name)'", hint: "policy names must be unique")
                continue
            }
            names.append(name)
            if let policy = self.decodeRateLimitPolicy(value, name: name, path: path, nameMark: keyNode.mark) {
                policies.append(policy)
            }
        }
        return (policies, names)
    }

    /// One policy: `{rate: "100r/s:200", key: client, ipv6_prefix: 64}`, or just the rate as a string.
    mutating func decodeRateLimitPolicy(_ node: Node, name: String, path: String, nameMark: Mark?) -> RateLimitPolicyConfig? {
        let errorCount = self.errors.count
        var policy = RateLimitPolicyConfig(name: name, rate: 1, burst: 1)
        if case .scalar = node, !ConfigDecoder.isNull(node) {
            let entry = Entry(key: name, keyMark: nameMark, value: node, path: path)
            guard self.rate(entry, into: &policy) else { return nil }
            return policy
        }
        guard
            let fields = self.fields(
                node, path: path, allowed: ConfigDecoder.rateLimitPolicyKeys, nullIsEmpty: false,
                what: "{rate: \"100r/s:200\", key: client}"
            )
        else { return nil }
        if let e = fields["rate"] {
            _ = self.rate(e, into: &policy)
        } else {
            self.missing("rate", in: fields, ownerMark: nameMark, example: "rate: \"100r/s:200\" (100 per second, bursts of 200)")
        }
        if let e = fields["key"], let key = self.rateLimitKey(e) {
            policy.key = key
        }
        if let e = fields["ipv6_prefix"] {
            if let value = self.int(e, range: 1...128, example: "64 (the default) counts one IPv6 /64 as one client") {
                policy.ipv6Prefix = value
            }
            if policy.key != .client, let keyEntry = fields["key"] {
                self.report(
                    e.keyMark,
                    "\(e.path): ipv6_prefix has no effect with key: \(ConfigDecoder.scalarString(keyEntry.value) ?? "")",
                    hint: "ipv6_prefix groups client addresses; remove it, or use key: client"
                )
            }
        }
        return self.errors.count == errorCount ? policy : nil
    }

    /// Parses a rate such as `100r/s:200` into `policy`; false after an error.
    private mutating func rate(_ entry: Entry, into policy: inout RateLimitPolicyConfig) -> Bool {
        guard let text = self.string(entry, expected: "a rate such as \"100r/s:200\"") else { return false }
        do {
            let limit = try RateLimit.parse(text)
            policy.rate = limit.rate
            policy.burst = limit.burst
            policy.windowSeconds = limit.windowSeconds
            return true
        } catch {
            self.report(entry.value.mark, "\(entry.path): invalid rate '\(text)'", hint: ConfigDecoder.rateHint(error))
            return false
        }
    }

    /// The hint for a rate that did not parse; shared with quick mode's `--rate-limit`.
    static func rateHint(_ error: RateLimit.ParseError) -> String {
        let syntax = "<count>r/<unit>[:<burst>], e.g. 100r/s:200 (100 per second, bursts of 200) or 10r/m"
        switch error {
        case .empty:
            return "write \(syntax)"
        case .missingRate:
            return "expected \(syntax)"
        case .invalidCount:
            return "the count before 'r/' must be a whole number from 1 to 1000000000 without leading zeros; expected \(syntax)"
        case .invalidUnit:
            return "the unit after 'r/' must be s, m or h (per second, minute or hour); expected \(syntax)"
        case .invalidBurst:
            return "the burst after ':' must be a whole number from 1 to 1000000000 without leading zeros; expected \(syntax)"
        }
    }

    /// `client`, `route` or `header:<Name>`.
    mutating func rateLimitKey(_ entry: Entry) -> RateLimitKeyConfig? {
        guard let text = self.string(entry, expected: "client, route or header:<Name>") else { return nil }
        switch text {
        case "client": return .client
        case "route": return .route
        default: break
        }
        let lowered = text.lowercased()
        if lowered == "header" || lowered.hasPrefix("header:") {
            let name = lowered == "header" ? "" : String(String(text.dropFirst("header:".count)).trimmingSpaces)
            if !text.hasPrefix("header") {
                self.report(entry.value.mark, "\(entry.path): write 'header:' in lower case, got '\(text)'",
                            hint: "e.g. key: \"header:\(name.isEmpty ? "X-Api-Key" : name)\"")
                return nil
            }
            if name.isEmpty {
                self.report(entry.value.mark, "\(entry.path): a header key needs a header name, got '\(text)'",
                            hint: "write e.g. key: \"header:X-Api-Key\"")
                return nil
            }
            guard HTTPSyntax.isToken(name) else {
                self.report(entry.value.mark, "\(entry.path): '\(name)' is not a valid header name",
                            hint: "header names are tokens such as X-Api-Key, see RFC 9110 §5.1")
                return nil
            }
            return .header(name.lowercased())
        }
        self.report(
            entry.value.mark, "\(entry.path): unknown rate limit key '\(text)'",
            hint: Suggestions.hint(for: text, candidates: ConfigDecoder.rateLimitKeyKinds, noun: "keys")
        )
        return nil
    }

    /// A route's `rate_limits: [name, …]` (or one name). `declared` is `nil` when the top-level section is absent.
    mutating func routeRateLimits(_ entry: Entry, declared: [String]?) -> [String]? {
        guard let items = self.list(entry, scalarIsList: true, example: "rate_limits: [api, burst]") else { return nil }
        var names: [String] = []
        var valid = true
        let known = declared ?? []
        for (node, path) in items {
            guard let name = self.cleanString(.item(node, path: path), expected: "a rate limit policy name") else {
                valid = false
                continue
            }
            guard known.contains(name) else {
                self.report(
                    node.mark, "\(path): no rate limit policy named '\(name)'",
                    hint: known.isEmpty
                        ? "define it under the top-level rate_limits, e.g. rate_limits: {\(name): {rate: \"100r/s\"}}"
                        : Suggestions.hint(for: name, candidates: known, noun: "policies")
                )
                valid = false
                continue
            }
            if names.contains(name) {
                self.report(node.mark, "\(path): '\(name)' is listed twice", hint: "list each policy once")
                valid = false
                continue
            }
            names.append(name)
        }
        return valid ? names : nil
    }

    /// The text of a scalar node, if it is one.
    static func scalarString(_ node: Node) -> String? {
        if case .scalar(let scalar) = node { return scalar.string }
        return nil
    }
}
