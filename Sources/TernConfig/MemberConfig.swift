import TernCore

/// One server of an HTTP pool. YAML: `{url: "http://127.0.0.1:9000", weight: 3}` or just the URL string.
public struct MemberConfig: Sendable, Equatable {
    /// Where the server is.
    public var url: OriginURL
    /// Relative share of requests, 1...1000 (default 1).
    public var weight: Int

    /// Creates a member.
    public init(url: OriginURL, weight: Int = 1) {
        self.url = url
        self.weight = weight
    }
}
