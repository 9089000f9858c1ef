import TernCore
import TernPolicy

/// One address to accept HTTP/1.1 connections on. YAML: `listeners: [{address: "127.0.0.1:8080"}]`, optionally
/// with `proxy_protocol: true` and `access: {allow: […], deny: […]}`.
public struct ListenerConfig: Sendable, Equatable {
    /// Host and port to bind.
    public var address: HostPort
    /// Whether every connection starts with a PROXY protocol v1 or v2 header giving the real client address
    /// (key `proxy_protocol`, default `false`). Enable only behind a load balancer that sends it.
    public var proxyProtocol: Bool
    /// Clients admitted on this listener (key `access`); `nil` (absent) means no listener-level list.
    public var access: AccessListConfig?
    /// What a request path's `%2F` / `%5C` does (key `encoded_slashes`: `reject`, the default, `decode` or
    /// `keep`; Docs/security.md, "Canonical requests").
    public var encodedSlashes: EncodedSlashPolicy

    /// Creates a listener on `address`.
    public init(
        address: HostPort, proxyProtocol: Bool = false, access: AccessListConfig? = nil, encodedSlashes: EncodedSlashPolicy = .reject
    ) {
        self.address = address
        self.proxyProtocol = proxyProtocol
        self.access = access
        self.encodedSlashes = encodedSlashes
    }
}
