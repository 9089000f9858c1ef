/// What the admin listener asks of the running proxy. The proxy implements it; ``AdminServer`` only renders.
///
/// Every method may be called from any thread, concurrently. `statsSnapshot()` and `readiness()` are called on
/// an event loop for each `GET /stats`, `/metrics`, `/readyz` and must be cheap (read counters, no I/O, no
/// blocking locks held across I/O). `purge` may take as long as it needs; it runs off the event loops.
public protocol AdminBackend: Sendable {
    /// The current counters and gauges. Counters are totals since start; the server derives rates and ratios.
    func statsSnapshot() -> StatsSnapshot
    /// Whether this node should receive traffic: configuration loaded, listeners bound, disk tier open, at least
    /// one healthy member per pool. Each condition is one ``Readiness/Check``.
    func readiness() -> Readiness
    /// Purges what `request` selects (or, for a dry run, counts it).
    ///
    /// Contract: when this returns, no later request is answered from a purged object, and a fill that was in
    /// flight for a purged key when the purge started must not store the content it fetched before the purge
    /// ("no resurrection"). Danger: getting the race wrong silently serves content the operator removed.
    func purge(_ request: PurgeRequest) async -> PurgeResult
}
