/// A named origin: a pool of HTTP servers or a directory served from disk.
///
/// YAML: `origins: { app: { type: http, members: [...] }, site: { type: file, root: ./site } }`.
public struct OriginPoolConfig: Sendable, Equatable {
    /// What kind of origin this is.
    public enum Kind: Sendable, Equatable {
        /// Requests are forwarded to a balanced pool of HTTP servers (`type: http`, the default).
        case http(HTTPPoolConfig)
        /// Requests are answered from files under a directory (`type: file`).
        case file(FileOriginConfig)
    }

    /// The name routes use to refer to this origin (the YAML mapping key).
    public var name: String
    /// The origin's kind and settings.
    public var kind: Kind

    /// Creates an origin.
    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }
}
