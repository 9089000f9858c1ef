import Foundation

/// Renders the complete engine configuration text for one rule set (pure: paths are only checked for existence).
///
/// Order (the one libmodsecurity3 + CRS 3.3.4 accept): Tern's engine configuration → Tern's crs-setup →
/// operator `REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf` → `rules/*.conf` → operator
/// `RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf` → this rule set's exclusions → Tern's score probe.
struct WAFConfiguration {
    /// Rule id of Tern's probe that logs `tx.anomaly_score` at the end of phase 2 (local id range 1–99,999).
    static let anomalyScoreProbeID = 99_001

    let settings: WAFSettings

    /// The main configuration and crs-setup templates, from ``WAFSettings/configDirectory`` or built in.
    func templates() throws -> (main: String, crsSetup: String) {
        guard let directory = self.settings.configDirectory else {
            return (WAFBuiltinTemplates.mainConfiguration, WAFBuiltinTemplates.crsSetup)
        }
        return (try Self.read("\(directory)/modsecurity.conf.template"), try Self.read("\(directory)/crs-setup.conf.template"))
    }

    private static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw WAFError.template(path: path, message: "\(error)")
        }
    }

    /// Validates the settings that end up in directives.
    func validate() throws {
        let s = self.settings
        guard (1...4).contains(s.paranoiaLevel) else { throw WAFError.invalidSetting("paranoia level \(s.paranoiaLevel) is not 1…4") }
        guard s.inboundAnomalyThreshold > 0, s.outboundAnomalyThreshold > 0 else {
            throw WAFError.invalidSetting("anomaly thresholds must be positive")
        }
        guard s.requestBodyLimit > 0 else { throw WAFError.invalidSetting("request body limit must be positive") }
        guard s.threads > 0, s.queueLimit >= 0 else { throw WAFError.invalidSetting("threads must be > 0 and queue limit >= 0") }
        for path in [s.crsDirectory, s.crsSetupDirectory] where path.contains(where: { $0 == "\"" || $0 == "\n" || $0 == " " }) {
            throw WAFError.invalidSetting("path \(path.debugDescription) must not contain quotes, spaces or newlines")
        }
    }

    /// Fills `{{NAME}}` placeholders.
    static func fill(_ template: String, _ values: [String: String]) throws -> String {
        var text = template
        for (name, value) in values {
            text = text.replacingOccurrences(of: "{{\(name)}}", with: value)
        }
        // Comments may mention `{{NAME}}`; a directive must not keep one.
        for line in text.split(separator: "\n") where !line.drop(while: { $0 == " " }).hasPrefix("#") && line.contains("{{") {
            throw WAFError.invalidSetting("unknown placeholder in WAF template line: \(line)")
        }
        return text
    }

    /// The full configuration text for a rule set with `exclusions`.
    func render(exclusions: WAFRuleExclusions) throws -> String {
        try self.validate()
        let s = self.settings
        let (mainTemplate, crsTemplate) = try self.templates()
        let values = [
            "REQUEST_BODY_LIMIT": String(s.requestBodyLimit),
            "REQUEST_BODY_LIMIT_ACTION": s.bodyLimitAction == .reject ? "Reject" : "ProcessPartial",
            "RESPONSE_BODY_ACCESS": s.inspectResponseBody ? "On" : "Off",
            "PARANOIA_LEVEL": String(s.paranoiaLevel),
            "INBOUND_ANOMALY_THRESHOLD": String(s.inboundAnomalyThreshold),
            "OUTBOUND_ANOMALY_THRESHOLD": String(s.outboundAnomalyThreshold),
        ]
        var parts = [try Self.fill(mainTemplate, values), try Self.fill(crsTemplate, values)]
        // libmodsecurity3 has no IncludeOptional: include the operator files only when they exist.
        let before = "\(s.crsSetupDirectory)/REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf"
        if FileManager.default.fileExists(atPath: before) { parts.append("Include \(before)") }
        let rules = "\(s.crsDirectory)/rules"
        guard FileManager.default.fileExists(atPath: rules) else {
            throw WAFError.invalidSetting("CRS rules directory \(rules) does not exist (Debian: apt-get install modsecurity-crs)")
        }
        parts.append("Include \(rules)/*.conf")
        let after = "\(s.crsSetupDirectory)/RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf"
        if FileManager.default.fileExists(atPath: after) { parts.append("Include \(after)") }
        let directives = try exclusions.directives()
        if !directives.isEmpty { parts.append("# Tern route exclusions\n" + directives) }
        parts.append(
            """
            # Tern: report the inbound anomaly score of requests that were not blocked (filtered out of matches;
            # no `noauditlog`: libmodsecurity 3.0.9 then drops the log entry).
            SecRule TX:ANOMALY_SCORE "@gt 0" "id:\(Self.anomalyScoreProbeID),phase:2,pass,log,t:none,msg:'tern-anomaly-score',logdata:'%{tx.anomaly_score}'"
            """
        )
        return parts.joined(separator: "\n") + "\n"
    }
}
