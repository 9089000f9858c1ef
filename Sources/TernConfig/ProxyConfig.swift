import TernCore

/// Forwarding-header behaviour (key `proxy`; RFC 7239, RFC 9110 §7.6.3).
public struct ProxyConfig: Sendable, Equatable {
    /// Peers whose `X-Forwarded-For`/`Forwarded` headers are believed (key `trusted_proxies`, default none).
    public var trustedProxies: [IPAddressRange]
    /// Whether to add an RFC 7239 `Forwarded` header upstream (default false).
    public var forwarded: Bool
    /// The pseudonym added to `Via` (default `tern`); `nil` (YAML `via: false`) adds no `Via`.
    public var via: String?
    /// Upstream response headers removed before responding, lower-cased (key `hide_response_headers`,
    /// default `server`, `x-powered-by`).
    public var hideResponseHeaders: [String]

    /// Creates proxy settings; every value has a default.
    public init(
        trustedProxies: [IPAddressRange] = [],
        forwarded: Bool = false,
        via: String? = "tern",
        hideResponseHeaders: [String] = ["server", "x-powered-by"]
    ) {
        self.trustedProxies = trustedProxies
        self.forwarded = forwarded
        self.via = via
        self.hideResponseHeaders = hideResponseHeaders
    }

    /// All defaults.
    public static let `default` = ProxyConfig()
}
