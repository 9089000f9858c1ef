import NIOCore
import NIOHTTP1

/// The stored description of one response variant: everything but the body.
///
/// A cached response is identified by its primary key (the cache key, RFC 9111 §2) and, when the
/// response carries `Vary`, by a normalized variant key built from the selecting request headers
/// (RFC 9111 §4.1). Times are `Int64` milliseconds since the Unix epoch, supplied by the caller:
/// the storage layer never reads the clock.
public struct CacheEntryMeta: Sendable, Equatable {
    /// The cache key (URL-like). Any length: the disk tier indexes it by digest, never by the raw bytes.
    public var primaryKey: String
    /// `""` when the response has no `Vary`; otherwise a normalized string of the selecting header values.
    public var variantKey: String
    /// The response status code.
    public var status: Int
    /// The stored response header fields.
    public var headers: HTTPHeaders
    /// When the request that produced this response was sent (RFC 9111 §4.2.3 `request_time`).
    public var requestTime: Int64
    /// When the response was received (RFC 9111 §4.2.3 `response_time`).
    public var responseTime: Int64
    /// The body length in bytes (the stores keep it equal to the stored body's length).
    public var bodyLength: Int64
    /// Surrogate keys, indexed on disk for purge by tag.
    public var tags: [String]
    /// Marked stale by a soft purge: serve only as stale, revalidate first.
    public var softPurged: Bool
    /// Last access in ms; maintained by the stores (exact in memory, approximate on disk).
    public var lastAccess: Int64

    public init(
        primaryKey: String,
        variantKey: String = "",
        status: Int,
        headers: HTTPHeaders,
        requestTime: Int64,
        responseTime: Int64,
        bodyLength: Int64,
        tags: [String] = [],
        softPurged: Bool = false,
        lastAccess: Int64 = 0
    ) {
        self.primaryKey = primaryKey
        self.variantKey = variantKey
        self.status = status
        self.headers = headers
        self.requestTime = requestTime
        self.responseTime = responseTime
        self.bodyLength = bodyLength
        self.tags = tags
        self.softPurged = softPurged
        self.lastAccess = lastAccess
    }

    public static func == (lhs: CacheEntryMeta, rhs: CacheEntryMeta) -> Bool {
        // HTTPHeaders' own `==` ignores field order and name case; storage must round-trip exactly,
        // so compare the ordered (name, value) pairs.
        lhs.primaryKey == rhs.primaryKey && lhs.variantKey == rhs.variantKey && lhs.status == rhs.status
            && lhs.requestTime == rhs.requestTime && lhs.responseTime == rhs.responseTime
            && lhs.bodyLength == rhs.bodyLength && lhs.tags == rhs.tags && lhs.softPurged == rhs.softPurged
            && lhs.lastAccess == rhs.lastAccess
            && lhs.headers.elementsEqual(rhs.headers, by: { $0.name == $1.name && $0.value == $1.value })
    }
}

/// One stored response variant: its description and its complete body.
public struct CacheEntry: Sendable {
    public var meta: CacheEntryMeta
    /// The complete body (the proxy never stores a partial fill).
    public var body: ByteBuffer

    public init(meta: CacheEntryMeta, body: ByteBuffer) {
        self.meta = meta
        self.body = body
    }
}

/// Identifies one variant: (primary key, variant key).
struct VariantID: Hashable, Sendable {
    var primaryKey: String
    var variantKey: String
}
