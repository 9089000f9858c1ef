import TernCore

/// One address to accept HTTP/1.1 connections on. YAML: `listeners: [{address: "127.0.0.1:8080"}]`.
public struct ListenerConfig: Sendable, Equatable {
    /// Host and port to bind.
    public var address: HostPort

    /// Creates a listener on `address`.
    public init(address: HostPort) {
        self.address = address
    }
}
