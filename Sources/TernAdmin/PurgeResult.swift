/// The answer to a purge: how many objects matched and were purged, and a sample of their keys.
public struct PurgeResult: Codable, Sendable, Equatable {
    /// Objects (variants) that matched the request.
    public var matched: Int
    /// Objects actually purged: `0` for a dry run, otherwise normally ``matched``.
    public var purged: Int
    /// Whether the objects were marked stale rather than deleted.
    public var soft: Bool
    /// Whether this was a dry run (nothing changed).
    public var dryRun: Bool
    /// Up to ``sampleLimit`` cache keys of matched objects, for a person to check the selection.
    public var sample: [String]

    /// The longest ``sample``: 100 keys.
    public static let sampleLimit = 100

    /// Creates a result; `sample` is cut to ``sampleLimit`` keys.
    public init(matched: Int, purged: Int, soft: Bool, dryRun: Bool, sample: [String] = []) {
        self.matched = matched
        self.purged = purged
        self.soft = soft
        self.dryRun = dryRun
        self.sample = Array(sample.prefix(PurgeResult.sampleLimit))
    }
}
