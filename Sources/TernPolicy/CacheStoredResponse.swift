import NIOHTTP1

/// What a stored response looks like to the cache policy (RFC 9111 §3, §4.2.3).
///
/// Times are milliseconds since the Unix epoch on the cache's own clock: `requestTime` when the
/// request that produced the response was sent, `responseTime` when its header was received.
public struct StoredResponse: Sendable, Equatable {
    /// The response status code.
    public var status: Int
    /// The stored header fields (see ``CachePolicy/headersForStorage(_:options:)``).
    public var headers: HTTPHeaders
    /// `request_time` of RFC 9111 §4.2.3, ms since the epoch.
    public var requestTime: Int64
    /// `response_time` of RFC 9111 §4.2.3, ms since the epoch.
    public var responseTime: Int64

    public init(status: Int, headers: HTTPHeaders, requestTime: Int64, responseTime: Int64) {
        self.status = status
        self.headers = headers
        self.requestTime = requestTime
        self.responseTime = responseTime
    }
}
