import NIOCore

/// Engine-wide WAF settings, mapped by Tern's configuration layer from the `waf:` section.
///
/// Everything that changes the compiled rules (paranoia level, thresholds, body limits, paths) takes
/// effect on ``WAFEngine/reload(settings:exclusionSets:)``; `threads` only at engine creation.
public struct WAFSettings: Sendable, Equatable {
    /// What to do with a request body longer than ``requestBodyLimit``.
    public enum BodyLimitAction: String, Sendable, Equatable {
        /// Refuse the request with 413 (ModSecurity `SecRequestBodyLimitAction Reject`).
        case reject
        /// Inspect only the first ``WAFSettings/requestBodyLimit`` bytes (`ProcessPartial`).
        /// Danger: an attack placed after the limit is not seen.
        case processPartial = "process_partial"
    }

    /// What to do when the WAF worker queue is full.
    public enum OverloadAction: String, Sendable, Equatable {
        /// Let the request through uninspected (availability first). Counted and logged.
        case failOpen = "fail_open"
        /// Answer 503 (security first).
        case failClosed = "fail_closed"
    }

    /// CRS paranoia level, 1…4.
    public var paranoiaLevel: Int = 1
    /// CRS `tx.inbound_anomaly_score_threshold`: rule 949110 blocks at or above it.
    public var inboundAnomalyThreshold: Int = 5
    /// CRS `tx.outbound_anomaly_score_threshold`: rule 959100 blocks at or above it.
    public var outboundAnomalyThreshold: Int = 4
    /// Largest request body the WAF inspects, in bytes (`SecRequestBodyLimit`). The caller buffers up to it.
    public var requestBodyLimit: Int = 13_107_200
    /// What happens beyond ``requestBodyLimit``.
    public var bodyLimitAction: BodyLimitAction = .reject
    /// Directory holding the CRS `rules/` directory (Debian `modsecurity-crs`).
    public var crsDirectory: String = "/usr/share/modsecurity-crs"
    /// Directory holding the operator's `REQUEST-900-…` / `RESPONSE-999-…` exclusion files (loaded when present).
    public var crsSetupDirectory: String = "/etc/modsecurity/crs"
    /// Directory with `modsecurity.conf.template` and `crs-setup.conf.template`; `nil` uses the built-in
    /// copies (identical to Tern's `Config/modsecurity/`).
    public var configDirectory: String? = nil
    /// WAF worker threads (never event-loop threads). Default: one per core.
    public var threads: Int = System.coreCount
    /// Requests allowed to wait for a worker beyond the ones being inspected.
    public var queueLimit: Int = 1024
    /// Behaviour when the queue is full.
    public var overload: OverloadAction = .failClosed
    /// JSON-lines audit log path; `nil` disables the audit log.
    public var auditLogPath: String? = nil
    /// Run phase 3 (response headers) in ``WAFEngine/inspectResponse(_:status:headers:body:on:)``.
    public var inspectResponseHeaders: Bool = true
    /// Also run phase 4 on response bodies handed to `inspectResponse` (off by default: costly).
    public var inspectResponseBody: Bool = false

    public init() {}
}
