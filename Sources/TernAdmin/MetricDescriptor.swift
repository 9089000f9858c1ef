/// One metric, declared once: its Prometheus name, type, help text and labels, the `/stats` JSON field it comes
/// from, and how to read its samples from a ``StatsSnapshot``.
///
/// `/metrics`, `Docs/metrics.md` and the JSON field documentation are all derived from ``MetricCatalog/all``.
public struct MetricDescriptor: Sendable {
    /// The Prometheus metric type.
    public enum Kind: String, Sendable, CaseIterable {
        /// Only goes up (until restart); the name ends in `_total`.
        case counter
        /// Goes up and down.
        case gauge
    }

    /// One value with its label values (in the order of ``MetricDescriptor/labels``).
    public struct Sample: Sendable, Equatable {
        /// Label values, one per label name.
        public var labelValues: [String]
        /// The value.
        public var value: Double

        /// Creates a sample.
        public init(_ labelValues: [String] = [], _ value: Double) {
            self.labelValues = labelValues
            self.value = value
        }
    }

    /// The Prometheus name, `tern_…` (counters end in `_total`).
    public let name: String
    /// Counter or gauge.
    public let kind: Kind
    /// One sentence for `# HELP` and the docs.
    public let help: String
    /// Label names, in order.
    public let labels: [String]
    /// Where the value lives in the `/stats` JSON: a dotted path; `[]` marks an array element, `{}` a dictionary
    /// value (e.g. `tiers[].objects`, `waf.blocksByRule{}`).
    public let jsonField: String
    /// Reads the samples from a snapshot (with ratios derived).
    public let samples: @Sendable (StatsSnapshot) -> [Sample]

    /// Declares a metric.
    public init(
        _ name: String, _ kind: Kind, help: String, labels: [String] = [], json jsonField: String,
        samples: @escaping @Sendable (StatsSnapshot) -> [Sample]
    ) {
        self.name = name
        self.kind = kind
        self.help = help
        self.labels = labels
        self.jsonField = jsonField
        self.samples = samples
    }

    /// Declares an unlabeled metric read by one closure.
    public init(
        _ name: String, _ kind: Kind, help: String, json jsonField: String,
        value: @escaping @Sendable (StatsSnapshot) -> Double
    ) {
        self.init(name, kind, help: help, labels: [], json: jsonField) { [Sample([], value($0))] }
    }
}
