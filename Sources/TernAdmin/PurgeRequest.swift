/// What to purge: the body of `POST /purge`. Selectors are combined with OR: an object is purged when it matches
/// any URL, prefix, host or tag, or when ``all`` is set.
///
/// Missing JSON keys mean empty lists and `false`, so `{"tags": ["product-42"]}` is a complete request.
public struct PurgeRequest: Codable, Sendable, Equatable {
    /// Exact URLs (`http://example.com/a?b=1`, or a path such as `/a?b=1` for every host); each purges every
    /// variant stored under it (every `Vary` combination and content coding). Scheme and port are ignored.
    public var urls: [String]
    /// Anchored path prefixes (`/img/`, or `http://example.com/img/` for one host), matched at segment
    /// boundaries: `/a` selects `/a`, `/a/…` and `/a?…` but not `/ab`. See ``pathPrefix(_:matches:)``.
    public var prefixes: [String]
    /// Host names (`example.com`, case-insensitive, without port): every object of that host.
    public var hosts: [String]
    /// Tags (surrogate keys) from the origin's tag headers.
    public var tags: [String]
    /// Everything in the cache.
    public var all: Bool
    /// Mark stale instead of deleting: the next request revalidates; `stale-if-error` may still serve it.
    public var soft: Bool
    /// Count and sample what would be purged, change nothing.
    public var dryRun: Bool

    /// Creates a request.
    public init(
        urls: [String] = [], prefixes: [String] = [], hosts: [String] = [], tags: [String] = [],
        all: Bool = false, soft: Bool = false, dryRun: Bool = false
    ) {
        self.urls = urls
        self.prefixes = prefixes
        self.hosts = hosts
        self.tags = tags
        self.all = all
        self.soft = soft
        self.dryRun = dryRun
    }

    /// Whether the request selects nothing (no selector and not ``all``): such a request is refused with 400.
    public var isEmpty: Bool {
        !self.all && self.urls.isEmpty && self.prefixes.isEmpty && self.hosts.isEmpty && self.tags.isEmpty
    }

    enum CodingKeys: String, CodingKey {
        case urls, prefixes, hosts, tags, all, soft, dryRun
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.urls = try container.decodeIfPresent([String].self, forKey: .urls) ?? []
        self.prefixes = try container.decodeIfPresent([String].self, forKey: .prefixes) ?? []
        self.hosts = try container.decodeIfPresent([String].self, forKey: .hosts) ?? []
        self.tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
        self.all = try container.decodeIfPresent(Bool.self, forKey: .all) ?? false
        self.soft = try container.decodeIfPresent(Bool.self, forKey: .soft) ?? false
        self.dryRun = try container.decodeIfPresent(Bool.self, forKey: .dryRun) ?? false
    }
}
