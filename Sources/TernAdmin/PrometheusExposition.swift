import Prometheus

/// Renders a snapshot as Prometheus text exposition format 0.0.4, through swift-prometheus.
///
/// A fresh `PrometheusCollectorRegistry` is filled from the snapshot at each scrape: counters are totals kept by
/// the proxy, so a scrape never has to reconcile with an earlier one. A labeled metric with no samples (no WAF
/// block yet, no compression configured) is left out entirely, as Prometheus clients do.
public enum PrometheusExposition {
    /// The `Content-Type` of `GET /metrics`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition text for `snapshot` (ratios are derived first).
    public static func render(
        _ snapshot: StatsSnapshot, catalog: [MetricDescriptor] = MetricCatalog.all
    ) -> [UInt8] {
        let snapshot = snapshot.withDerivedRatios()
        let registry = PrometheusCollectorRegistry()
        for descriptor in catalog {
            // The whole name goes in `metricName`; empty components are dropped when the name is joined.
            let name = MetricNameDescriptor(metricName: descriptor.name, unitName: "", helpText: descriptor.help)
            for sample in descriptor.samples(snapshot) {
                let labels = Array(zip(descriptor.labels, sample.labelValues))
                let value = sample.value.isFinite ? sample.value : 0
                switch descriptor.kind {
                case .counter:
                    let counter = labels.isEmpty
                        ? registry.makeCounter(descriptor: name)
                        : registry.makeCounter(descriptor: name, labels: labels)
                    counter.increment(by: max(0, value))
                case .gauge:
                    let gauge = labels.isEmpty
                        ? registry.makeGauge(descriptor: name)
                        : registry.makeGauge(descriptor: name, labels: labels)
                    gauge.set(to: value)
                }
            }
        }
        return registry.emitToBuffer()
    }
}
