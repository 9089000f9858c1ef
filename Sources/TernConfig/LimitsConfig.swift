import TernCore

/// Client-side request limits (key `limits`).
public struct LimitsConfig: Sendable, Equatable {
    /// Total bytes of the request line and header section (key `max_header_bytes`, default 16KiB).
    public var maxHeaderBytes: ByteCount
    /// Header fields per request (key `max_header_count`, default 100).
    public var maxHeaderCount: Int
    /// Bytes of the request target (key `max_uri_bytes`, default 8KiB).
    public var maxURIBytes: ByteCount
    /// Largest accepted request body; `nil` is unlimited (key `max_request_body`: `1GiB` or `unlimited`, the default).
    public var maxRequestBody: ByteCount?
    /// Time to receive the complete header section (key `header_timeout`, default 10s).
    public var headerTimeout: Duration
    /// Longest silence while receiving a request body (key `body_idle_timeout`, default 30s).
    public var bodyIdleTimeout: Duration
    /// Idle time between requests on a kept-alive connection (key `keep_alive_timeout`, default 75s; 0 disables keep-alive).
    public var keepAliveTimeout: Duration
    /// Open client connections per process (key `max_connections`, default 10000).
    public var maxConnections: Int
    /// Requests served per connection before it is closed; 0 is unlimited (key `max_requests_per_connection`, default 0).
    public var maxRequestsPerConnection: Int
    /// Open connections per client address (the connection's peer address); 0 is unlimited
    /// (key `max_connections_per_client`, default 0).
    public var maxConnectionsPerClient: Int
    /// What happens to request fields whose name contains `_` (key `underscores_in_headers`: `drop`, the
    /// default, as nginx does; `keep`; or `reject` with 400). Some stacks read `X_Forwarded_For` as
    /// `X-Forwarded-For` (CGI turns both into `HTTP_X_FORWARDED_FOR`), so a field Tern never looked at
    /// could stand in for one it did.
    public var underscoresInHeaders: UnderscoreFieldPolicy

    /// Creates limits; every value has a default.
    public init(
        maxHeaderBytes: ByteCount = .kibibytes(16),
        maxHeaderCount: Int = 100,
        maxURIBytes: ByteCount = .kibibytes(8),
        maxRequestBody: ByteCount? = nil,
        headerTimeout: Duration = .seconds(10),
        bodyIdleTimeout: Duration = .seconds(30),
        keepAliveTimeout: Duration = .seconds(75),
        maxConnections: Int = 10000,
        maxRequestsPerConnection: Int = 0,
        maxConnectionsPerClient: Int = 0,
        underscoresInHeaders: UnderscoreFieldPolicy = .drop
    ) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxURIBytes = maxURIBytes
        self.maxRequestBody = maxRequestBody
        self.headerTimeout = headerTimeout
        self.bodyIdleTimeout = bodyIdleTimeout
        self.keepAliveTimeout = keepAliveTimeout
        self.maxConnections = maxConnections
        self.maxRequestsPerConnection = maxRequestsPerConnection
        self.maxConnectionsPerClient = maxConnectionsPerClient
        self.underscoresInHeaders = underscoresInHeaders
    }

    /// All defaults.
    public static let `default` = LimitsConfig()
}

/// What happens to request fields whose name contains `_` (``LimitsConfig/underscoresInHeaders``).
public enum UnderscoreFieldPolicy: String, Sendable, Equatable, CaseIterable {
    /// Removed before anything reads the request (the default).
    case drop
    /// Kept and forwarded.
    case keep
    /// The request is refused with 400.
    case reject
}
