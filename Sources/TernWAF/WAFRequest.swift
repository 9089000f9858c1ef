import NIOCore

/// One HTTP request as the WAF sees it: the raw values from the wire, before Tern normalizes anything.
public struct WAFRequest: Sendable {
    /// Tern's request id; becomes ModSecurity's `unique_id` and the audit log's `request_id`.
    public var requestID: String
    /// Client identity (after trusted-proxy resolution) and port.
    public var clientAddress: String
    public var clientPort: Int
    /// The listener's address and port.
    public var serverAddress: String
    public var serverPort: Int
    /// Method exactly as received.
    public var method: String
    /// The raw request target, still percent-encoded (RFC 9112 §3.2).
    public var uri: String
    /// `HTTP/1.1`, `1.1`, `HTTP/2.0`…; a leading `HTTP/` is stripped for the engine.
    public var httpVersion: String
    /// Every request header, in order, names as received.
    public var headers: [(String, String)]
    /// The buffered request body (at most ``WAFSettings/requestBodyLimit`` bytes), or `nil`.
    public var body: ByteBuffer?
    /// Set when the client sent more than the limit and the caller stopped buffering.
    public var bodyTruncated: Bool
    /// Set for a request Tern refused before the WAF (parser error, `405` CONNECT, empty `Host`…):
    /// the status it answered. The engine inspects it in detection-only mode for the audit log only.
    public var refusedStatus: Int? = nil

    public init(
        requestID: String,
        clientAddress: String,
        clientPort: Int,
        serverAddress: String,
        serverPort: Int,
        method: String,
        uri: String,
        httpVersion: String,
        headers: [(String, String)],
        body: ByteBuffer? = nil,
        bodyTruncated: Bool = false
    ) {
        self.requestID = requestID
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.serverAddress = serverAddress
        self.serverPort = serverPort
        self.method = method
        self.uri = uri
        self.httpVersion = httpVersion
        self.headers = headers
        self.body = body
        self.bodyTruncated = bodyTruncated
    }
}
