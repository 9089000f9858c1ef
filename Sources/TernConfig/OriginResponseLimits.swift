import TernCore

/// Limits on the heads of an origin's responses (key `response_limits` of an http origin). A
/// response beyond them is answered `502` and counted as an `invalid_response` failure.
public struct OriginResponseLimits: Sendable, Equatable {
    /// Header fields in one response head (key `max_header_count`, default 200).
    public var maxHeaderCount: Int
    /// Bytes of all field names and values of one head, and of any one field (key `max_header_bytes`, default 64KiB).
    public var maxHeaderBytes: ByteCount
    /// Interim (1xx) responses before the final one (key `max_interim_responses`, default 16).
    public var maxInterimResponses: Int

    /// Creates limits; every value has a default.
    public init(maxHeaderCount: Int = 200, maxHeaderBytes: ByteCount = .kibibytes(64), maxInterimResponses: Int = 16) {
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderBytes = maxHeaderBytes
        self.maxInterimResponses = maxInterimResponses
    }

    /// 200 fields, 64KiB, 16 interim responses.
    public static let `default` = OriginResponseLimits()
}
