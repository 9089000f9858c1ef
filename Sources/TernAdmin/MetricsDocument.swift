import Foundation

/// Renders `Docs/metrics.md` from ``MetricCatalog/all``; a test keeps the checked-in file equal to this.
public enum MetricsDocument {
    /// The markdown text of `Docs/metrics.md`.
    public static func markdown(catalog: [MetricDescriptor] = MetricCatalog.all) -> String {
        var lines: [String] = [
            "# Metrics",
            "",
            "<!-- Generated from Sources/TernAdmin/MetricCatalog.swift; do not edit by hand.",
            "     Regenerate with: TERN_REGENERATE_DOCS=1 swift test --filter MetricsDocTests -->",
            "",
            "The admin listener serves the same numbers two ways (see [operations](operations.md)):",
            "",
            "- `GET /metrics`: Prometheus text exposition format 0.0.4. Counters are totals since the process started",
            "  (use `rate()`); gauges are current values. A labeled metric with no samples yet (no WAF block, no",
            "  compression) is absent until its first sample.",
            "- `GET /stats`: one JSON object. The **JSON field** column gives the path of each value: `a.b` is a",
            "  nested key, `[]` an element of an array (one per tier, origin member or coding), `{}` a value of an",
            "  object keyed by the label (rule id, policy name).",
            "",
            "| Metric | Type | Labels | JSON field | Description |",
            "|---|---|---|---|---|",
        ]
        for descriptor in catalog {
            let labels = descriptor.labels.isEmpty ? "—" : descriptor.labels.map { "`\($0)`" }.joined(separator: ", ")
            let fields = descriptor.jsonField.split(separator: ",")
                .map { "`\($0.trimmingCharacters(in: .whitespaces))`" }.joined(separator: ", ")
            lines.append(
                "| `\(descriptor.name)` | \(descriptor.kind.rawValue) | \(labels) | \(fields) | \(descriptor.help.replacingOccurrences(of: "|", with: "\\|")) |"
            )
        }
        lines += [
            "",
            "`/stats` also carries, for the dashboard and `tern stats`, what has no metric: `origins[].pool`,",
            "`origins[].url` and `origins[].health` as words (`healthy`, `unhealthy`, `ejected`, `unknown`),",
            "`recentPurges[]` and `recentWAFBlocks[]` (`time` in ISO 8601, `summary`, and `ruleId` for WAF blocks).",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
