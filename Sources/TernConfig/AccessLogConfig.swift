/// Where and how each request is logged (key `logging.access`).
public struct AccessLogConfig: Sendable, Equatable {
    /// Where lines go. YAML key `path`: `stdout`, `stderr`, `off` or a file path.
    public enum Destination: Sendable, Equatable {
        case stdout
        case stderr
        /// Appended to this absolute path (relative YAML paths are resolved against the config file's directory).
        case file(String)
        /// No access log.
        case off
    }

    /// Line format.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// Apache/nginx combined log format.
        case combined
        /// One JSON object per line.
        case json
    }

    /// Where lines go (default stdout).
    public var destination: Destination
    /// Line format (default combined).
    public var format: Format

    /// Creates access log settings.
    public init(destination: Destination = .stdout, format: Format = .combined) {
        self.destination = destination
        self.format = format
    }

    /// stdout, combined.
    public static let `default` = AccessLogConfig()
}
