/// A directory served from disk (`type: file`).
public struct FileOriginConfig: Sendable, Equatable {
    /// The directory, absolute; a relative `root` in YAML is resolved against the config file's directory.
    /// Whether it exists is checked when the server starts, not here.
    public var root: String
    /// `Cache-Control` value added to responses (key `cache_control`); `nil` sends none.
    public var cacheControl: String?
    /// File names tried, in order, for a request that names a directory (default `["index.html"]`).
    public var index: [String]

    /// Creates a file origin.
    public init(root: String, cacheControl: String? = nil, index: [String] = ["index.html"]) {
        self.root = root
        self.cacheControl = cacheControl
        self.index = index
    }
}
