import TernCore

/// The connection endpoints announced by a PROXY protocol header (HAProxy PROXY protocol v1 §2.1, v2 §2.2).
///
/// `source` and `destination` are `nil` when the sender does not know them (v1 `UNKNOWN`,
/// v2 `AF_UNSPEC`) or must not be believed (v2 `LOCAL`); the receiver then uses the real socket
/// endpoints, as the specification requires.
public struct ProxyHeader: Sendable, Hashable {
    /// The PROXY protocol version that carried the header: 1 (text) or 2 (binary).
    public var version: Int
    /// The original client address, or `nil` to use the socket peer.
    public var source: IPAddress?
    /// The original client port (0 when `source` is `nil`).
    public var sourcePort: Int
    /// The address the client connected to, or `nil` to use the socket's local address.
    public var destination: IPAddress?
    /// The port the client connected to (0 when `destination` is `nil`).
    public var destinationPort: Int
    /// `true` for a v2 `LOCAL` command: a connection the proxy made on its own behalf
    /// (typically a health check); the addresses must be ignored.
    public var isLocal: Bool
    /// The number of bytes the header occupies at the start of the stream; application data follows.
    public var consumed: Int

    /// Creates a header with the given fields.
    public init(
        version: Int, source: IPAddress?, sourcePort: Int, destination: IPAddress?, destinationPort: Int,
        isLocal: Bool, consumed: Int
    ) {
        self.version = version
        self.source = source
        self.sourcePort = sourcePort
        self.destination = destination
        self.destinationPort = destinationPort
        self.isLocal = isLocal
        self.consumed = consumed
    }
}
