import NIOHTTP1
import TernCore

/// This cache's member of the `Cache-Status` field (RFC 9211).
///
/// Parameters are emitted in the order `hit`, `fwd`, `fwd-status`, `stored`, `collapsed`, `ttl`,
/// `detail`, e.g. `tern; hit; ttl=42`, `tern; fwd=uri-miss; fwd-status=200; stored; ttl=60`,
/// `tern; fwd=bypass; detail=set-cookie`. `detail` is a Token when it is one, else a String.
public struct CacheStatus: Sendable, Equatable {
    /// Why the request went forward (RFC 9211 §2.2).
    public enum Forward: String, Sendable {
        /// No stored response for the URI.
        case uriMiss = "uri-miss"
        /// Stored responses exist but none matches the request's `Vary`'d fields.
        case varyMiss = "vary-miss"
        /// The stored response was stale (a revalidation).
        case stale = "stale"
        /// The request directives (e.g. `no-cache`) required going forward.
        case request = "request"
        /// The cache was configured (or decided) not to handle this request.
        case bypass = "bypass"
        /// Unspecified miss.
        case miss = "miss"
    }

    /// The cache's name, the list member's token (default `tern`).
    public var name: String
    /// Answered from the cache without going forward (RFC 9211 §2.1).
    public var hit: Bool
    /// Why the request went forward (§2.2); `nil` on a hit.
    public var fwd: Forward?
    /// Status of the forward response (§2.3).
    public var fwdStatus: Int?
    /// The forward response was stored (§2.5).
    public var stored: Bool
    /// The request was collapsed with another one (§2.6).
    public var collapsed: Bool
    /// Remaining freshness, seconds, negative when stale (§2.4).
    public var ttl: Int64?
    /// Implementation detail (§2.8), e.g. a ``NoCacheReason`` raw value.
    public var detail: String?

    public init(
        hit: Bool = false,
        fwd: Forward? = nil,
        fwdStatus: Int? = nil,
        stored: Bool = false,
        collapsed: Bool = false,
        ttl: Int64? = nil,
        detail: String? = nil,
        name: String = "tern"
    ) {
        self.name = name
        self.hit = hit
        self.fwd = fwd
        self.fwdStatus = fwdStatus
        self.stored = stored
        self.collapsed = collapsed
        self.ttl = ttl
        self.detail = detail
    }

    /// The list member for this cache (RFC 9211 §2).
    public var headerValue: String {
        var out = Self.isToken(self.name) ? self.name : Self.quoted(self.name)
        if self.hit { out += "; hit" }
        if let fwd = self.fwd { out += "; fwd=\(fwd.rawValue)" }
        if let fwdStatus = self.fwdStatus { out += "; fwd-status=\(fwdStatus)" }
        if self.stored { out += "; stored" }
        if self.collapsed { out += "; collapsed" }
        if let ttl = self.ttl { out += "; ttl=\(ttl)" }
        if let detail = self.detail { out += "; detail=\(Self.isToken(detail) ? detail : Self.quoted(detail))" }
        return out
    }

    /// Appends this member to `headers`' `Cache-Status` list: after the members added by caches
    /// closer to the origin (RFC 9211 §2), on the same field line.
    public func append(to headers: inout HTTPHeaders) {
        if let existing = headers["cache-status"].isEmpty ? nil : headers["cache-status"].joined(separator: ", ") {
            headers.replaceOrAdd(name: "Cache-Status", value: "\(existing), \(self.headerValue)")
        } else {
            headers.add(name: "Cache-Status", value: self.headerValue)
        }
    }

    /// RFC 8941 §3.3.4 `sf-token`.
    static func isToken(_ s: String) -> Bool {
        guard let first = s.utf8.first,
            (first >= 0x41 && first <= 0x5A) || (first >= 0x61 && first <= 0x7A) || first == UInt8(ascii: "*")
        else { return false }
        return s.utf8.allSatisfy { HTTPSyntax.isTchar($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") }
    }

    /// RFC 8941 §3.3.3 `sf-string` (non-printable characters replaced by `?`).
    static func quoted(_ s: String) -> String {
        var out = "\""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "?"
            }
        }
        return out + "\""
    }
}
