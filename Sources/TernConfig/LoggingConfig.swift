/// Logging (key `logging`).
public struct LoggingConfig: Sendable, Equatable {
    /// The diagnostic log levels, lowest first.
    public static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// The access log (key `access`).
    public var access: AccessLogConfig
    /// Minimum diagnostic log level: one of ``levels`` (default `info`).
    public var level: String

    /// Creates logging settings.
    public init(access: AccessLogConfig = .default, level: String = "info") {
        self.access = access
        self.level = level
    }

    /// Access log to stdout in combined format, level info.
    public static let `default` = LoggingConfig()
}
