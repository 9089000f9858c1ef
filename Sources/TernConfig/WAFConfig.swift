import TernCore

/// Whether the web application firewall inspects requests, and what it does with a match.
public enum WAFModeConfig: String, Sendable, Equatable, CaseIterable {
    /// Inspect and block requests (and responses) whose anomaly score reaches the threshold.
    case on
    /// Inspect and log, but never block (ModSecurity's `DetectionOnly`).
    case detectionOnly = "detection_only"
    /// No inspection.
    case off
}

/// The web application firewall: libmodsecurity with the OWASP Core Rule Set (top-level key `waf`).
/// Absent means ``WAFConfig/default``: mode `off`.
///
/// With `mode: off` the other keys are still validated and kept, so switching the WAF on cannot reveal new
/// errors. A route may override the mode (``RouteWAFConfig/mode``), so consumers must load the engine when the
/// global mode or any route's mode is not `off`.
public struct WAFConfig: Sendable, Equatable {
    /// What happens when a request body is larger than ``WAFConfig/requestBodyLimit``.
    public enum BodyLimitAction: String, Sendable, Equatable, CaseIterable {
        /// Refuse the request with 413 (ModSecurity's `Reject`).
        case reject
        /// Inspect only the first `request_body_limit` bytes and pass the rest uninspected
        /// (ModSecurity's `ProcessPartial`).
        case processPartial = "process_partial"
    }

    /// What happens to a request when the inspection queue is full.
    public enum OverloadAction: String, Sendable, Equatable, CaseIterable {
        /// Forward the request uninspected.
        case failOpen = "fail_open"
        /// Refuse the request with 503.
        case failClosed = "fail_closed"
    }

    /// The default mode: off (key `mode`).
    public static let defaultMode = WAFModeConfig.off
    /// The default `request_body_limit`, 13MiB.
    public static let defaultRequestBodyLimit = ByteCount.mebibytes(13)
    /// The default `queue_limit`, 1024.
    public static let defaultQueueLimit = 1024

    /// Global mode (key `mode`: `on` | `detection_only` | `off`, default `off`).
    public var mode: WAFModeConfig
    /// OWASP CRS paranoia level (key `paranoia_level`, 1...4, default 1). Higher levels enable more rules: more
    /// attacks caught, more false positives.
    public var paranoiaLevel: Int
    /// Inbound anomaly score at which a request is blocked (key `inbound_anomaly_threshold`, > 0, default 5).
    public var inboundAnomalyThreshold: Int
    /// Outbound anomaly score at which a response is blocked (key `outbound_anomaly_threshold`, > 0, default 4).
    public var outboundAnomalyThreshold: Int
    /// Request body bytes buffered for inspection (key `request_body_limit`, size > 0, default 13MiB).
    public var requestBodyLimit: ByteCount
    /// What happens to a longer body (key `body_limit_action`: `reject` | `process_partial`, default `reject`).
    public var bodyLimitAction: BodyLimitAction
    /// Inspection threads; `nil` means one per core (key `threads`: `auto`, the default, or 1...64).
    public var threads: Int?
    /// Requests waiting for an inspection thread before ``overload`` applies (key `queue_limit`,
    /// 1...1000000, default 1024).
    public var queueLimit: Int
    /// What happens when the queue is full (key `overload`: `fail_open` | `fail_closed`, default `fail_closed`).
    public var overload: OverloadAction
    /// ModSecurity audit log file, absolute (relative YAML paths are resolved against the configuration file's
    /// directory); `nil` means none (key `audit_log`: a path or `off`, the default).
    public var auditLog: String?
    /// Whether response headers are inspected too (phase 3; key `inspect_response_headers`, default `true`).
    public var inspectResponseHeaders: Bool
    /// A directory with Tern's two ModSecurity templates, edited (key `config_dir`; `nil`: the built-in
    /// copies of `Config/modsecurity/`). How operators add their own rules.
    public var configDirectory: String? = nil

    /// Creates WAF settings; values are taken as given (no validation).
    public init(
        mode: WAFModeConfig = WAFConfig.defaultMode,
        paranoiaLevel: Int = 1,
        inboundAnomalyThreshold: Int = 5,
        outboundAnomalyThreshold: Int = 4,
        requestBodyLimit: ByteCount = WAFConfig.defaultRequestBodyLimit,
        bodyLimitAction: BodyLimitAction = .reject,
        threads: Int? = nil,
        queueLimit: Int = WAFConfig.defaultQueueLimit,
        overload: OverloadAction = .failClosed,
        auditLog: String? = nil,
        inspectResponseHeaders: Bool = true
    ) {
        self.mode = mode
        self.paranoiaLevel = paranoiaLevel
        self.inboundAnomalyThreshold = inboundAnomalyThreshold
        self.outboundAnomalyThreshold = outboundAnomalyThreshold
        self.requestBodyLimit = requestBodyLimit
        self.bodyLimitAction = bodyLimitAction
        self.threads = threads
        self.queueLimit = queueLimit
        self.overload = overload
        self.auditLog = auditLog
        self.inspectResponseHeaders = inspectResponseHeaders
    }

    /// Off; when switched on: paranoia level 1, thresholds 5 (inbound) and 4 (outbound), 13MiB bodies rejected
    /// beyond the limit, one thread per core, 1024 queued requests then 503, no audit log, response headers
    /// inspected.
    public static let `default` = WAFConfig()
}

/// `BodyLimitAction` at the top level, as the brief names it.
public typealias BodyLimitAction = WAFConfig.BodyLimitAction
/// `OverloadAction` at the top level, as the brief names it.
public typealias OverloadAction = WAFConfig.OverloadAction

/// Per-route WAF settings (route key `waf`). Absent means ``RouteWAFConfig/default``: the global mode, no exclusions.
public struct RouteWAFConfig: Sendable, Equatable {
    /// This route's mode; `nil` (the default) uses ``WAFConfig/mode`` (key `mode`).
    public var mode: WAFModeConfig?
    /// Rule IDs not applied on this route (key `exclude_rules`, positive integers, de-duplicated, in file order).
    public var excludeRuleIDs: [Int]
    /// Rule tags not applied on this route, e.g. `attack-sqli` (key `exclude_tags`; case-sensitive, de-duplicated).
    public var excludeTags: [String]
    /// Request arguments (query or form parameters, JSON paths) not inspected on this route, e.g. `password`
    /// (key `exclude_args`; case-sensitive, de-duplicated).
    public var excludeArguments: [String]
    /// Request headers not inspected on this route (key `exclude_headers`; lower-cased, de-duplicated).
    public var excludeHeaders: [String]

    /// Creates route WAF settings; values are taken as given (no validation).
    public init(
        mode: WAFModeConfig? = nil,
        excludeRuleIDs: [Int] = [],
        excludeTags: [String] = [],
        excludeArguments: [String] = [],
        excludeHeaders: [String] = []
    ) {
        self.mode = mode
        self.excludeRuleIDs = excludeRuleIDs
        self.excludeTags = excludeTags
        self.excludeArguments = excludeArguments
        self.excludeHeaders = excludeHeaders
    }

    /// The global mode, no exclusions.
    public static let `default` = RouteWAFConfig()

    /// The mode in force on this route given the global settings.
    public func effectiveMode(global: WAFConfig) -> WAFModeConfig {
        self.mode ?? global.mode
    }
}
