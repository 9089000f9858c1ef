import Foundation

/// Whether a rule configuration has anything to do in phase 3 (response headers), read from the
/// configuration text and the files it includes.
///
/// CRS 3.3.4's only phase-3 directives are paranoia-level markers (`TX:EXECUTING_PARANOIA_LEVEL
/// "@lt N" "…,phase:3,pass,nolog,skipAfter:…"`): its response rules are phase 4 (bodies). With stock
/// CRS the phase has nothing to decide, and Tern skips the second hop to a WAF thread that holding
/// each response would cost (~10 % of WAF throughput on one core). Any other phase-3 directive (your
/// own rules through `waf.config_dir`, a future CRS) turns phase 3 on. Conservative: when in doubt,
/// a directive counts.
enum WAFPhaseScan {
    /// `true` when some directive in `text` (or a file it includes) acts in phase 3.
    static func actsInResponseHeaderPhase(_ text: String, depth: Int = 0) -> Bool {
        for directive in Self.directives(text) {
            let lower = directive.lowercased()
            if lower.hasPrefix("include ") {
                guard depth < 3 else { return true }
                let target = directive.dropFirst("include ".count).trimmingCharacters(in: .whitespaces)
                    .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                for file in Self.expand(target) {
                    guard let included = try? String(contentsOfFile: file, encoding: .utf8) else { return true }
                    if Self.actsInResponseHeaderPhase(included, depth: depth + 1) { return true }
                }
                continue
            }
            guard lower.hasPrefix("secrule") || lower.hasPrefix("secaction") || lower.hasPrefix("secrulescript") else { continue }
            guard lower.contains("phase:3") || lower.contains("phase:response_headers") else { continue }
            if !Self.isParanoiaSkipMarker(lower) { return true }
        }
        return false
    }

    /// A `pass,nolog,skipAfter` directive whose actions change nothing else (CRS's paranoia-level
    /// markers). The actions are the directive's last quoted argument, split on commas.
    static func isParanoiaSkipMarker(_ lower: String) -> Bool {
        guard lower.hasSuffix("\""), let open = lower.dropLast().lastIndex(of: "\"") else { return false }
        let actions = lower[lower.index(after: open)..<lower.index(before: lower.endIndex)]
        let names = actions.split(separator: ",").map { action in
            action.split(separator: ":", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        let inert: Set<String> = ["id", "phase", "pass", "nolog", "noauditlog", "skipafter", "t", "msg", "tag", "ver", "rev", "severity", "maturity", "accuracy"]
        return names.contains("skipafter") && names.contains("pass") && names.allSatisfy { inert.contains($0) }
    }

    /// Directives with `\`-continued lines joined; comments and blank lines dropped.
    static func directives(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if current.isEmpty, line.hasPrefix("#") || line.isEmpty { continue }
            let continued = line.hasSuffix("\\")
            if continued { line.removeLast() }
            current += continued ? line + " " : line
            if !continued {
                out.append(current)
                current = ""
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// `dir/*.conf`-style globs (a `*` in the last component only), or the path itself.
    static func expand(_ pattern: String) -> [String] {
        guard let star = pattern.lastIndex(of: "*") else { return [pattern] }
        let slash = pattern[..<star].lastIndex(of: "/")
        let directory = slash.map { String(pattern[..<$0]) } ?? "."
        let prefix = String(pattern[(slash.map { pattern.index(after: $0) } ?? pattern.startIndex)..<star])
        let suffix = String(pattern[pattern.index(after: star)...])
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(suffix) }.sorted().map { "\(directory)/\($0)" }
    }
}
