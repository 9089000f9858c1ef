import NIOHTTP1
import TernCore

/// A client's `Accept-Encoding` preferences, and the choice of coding to send (RFC 9110 §12.5.3).
///
/// ```
/// Accept-Encoding  = #( codings [ weight ] )
/// codings          = content-coding / "identity" / "*"
/// weight           = OWS ";" OWS "q=" qvalue
/// qvalue           = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
/// ```
///
/// Parsing rules (documented in Docs/compression.md):
/// - All field lines are combined (RFC 9110 §5.3); tokens and the `q` name are case-insensitive;
///   whitespace around `;` and `=` is tolerated; `x-gzip` is `gzip` (RFC 9110 §8.4.1.3).
/// - A member whose `q` is not a valid `qvalue` (`q=2`, `q=0.5555`, `q=abc`, `q=-1`, `q=.5`) or
///   whose coding is not a token is **ignored**, as if absent: the coding then falls under `*`,
///   or is unacceptable (identity: acceptable by default). Reading it as `q=0` could refuse
///   identity because of a typo; reading it as `q=1` could send a coding the client refused.
/// - When a coding is listed twice, the first member wins.
/// - No field at all: every coding is acceptable, but ``choose(available:)`` sends identity
///   (clients that do not ask for compression, such as plain `curl`, get plain bytes).
/// - A field whose value is empty: only identity is acceptable (§12.5.3).
public struct AcceptEncoding: Sendable, Equatable {
    /// `false` when the request had no `Accept-Encoding` field line at all.
    public private(set) var isPresent: Bool
    /// Listed qualities of the codings Tern knows, first member wins.
    private var listed: [ContentCoding: Double]
    /// The quality of `*`, when listed.
    private var wildcard: Double?

    /// Parses all `Accept-Encoding` field lines of a request (RFC 9110 §12.5.3).
    public init(_ headers: HTTPHeaders) {
        let lines = headers["accept-encoding"]
        self.isPresent = !lines.isEmpty
        self.listed = [:]
        self.wildcard = nil
        for line in lines {
            for element in CacheFieldParsing.splitList(Substring(line)) {
                self.add(element)
            }
        }
    }

    private mutating func add(_ element: Substring) {
        var parts = element.split(separator: ";", omittingEmptySubsequences: false).makeIterator()
        guard let first = parts.next() else { return }
        let name = HTTPSyntax.trimOWS(first)
        guard HTTPSyntax.isToken(name) else { return }
        var quality = 1.0
        while let part = parts.next() {
            let parameter = HTTPSyntax.trimOWS(part)
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let key = HTTPSyntax.trimOWS(parameter[..<equals])
            guard key == "q" || key == "Q" else { continue }  // accept-ext parameters are ignored
            guard let q = Self.qvalue(HTTPSyntax.trimOWS(parameter[parameter.index(after: equals)...])) else {
                return  // invalid weight: ignore the whole member
            }
            quality = q
            break  // the first `q` parameter counts
        }
        if name == "*" {
            if self.wildcard == nil { self.wildcard = quality }
        } else if let coding = ContentCoding(token: name), self.listed[coding] == nil {
            self.listed[coding] = quality
        }
    }

    /// Parses a `qvalue` (RFC 9110 §12.4.2): `0`, `0.`–`0.999`, `1`, `1.`–`1.000`; `nil` otherwise.
    static func qvalue(_ s: Substring) -> Double? {
        let bytes = Array(s.utf8)
        guard let first = bytes.first, first == UInt8(ascii: "0") || first == UInt8(ascii: "1") else { return nil }
        if bytes.count == 1 { return first == UInt8(ascii: "1") ? 1 : 0 }
        guard bytes[1] == UInt8(ascii: "."), bytes.count <= 5 else { return nil }
        var thousandths = 0
        var scale = 100
        for digit in bytes.dropFirst(2) {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            thousandths += Int(digit - UInt8(ascii: "0")) * scale
            scale /= 10
        }
        if first == UInt8(ascii: "1") { return thousandths == 0 ? 1 : nil }
        return Double(thousandths) / 1000
    }

    /// The quality the client gives `coding` (RFC 9110 §12.5.3), `0` meaning "not acceptable".
    ///
    /// Listed coding → its `q`; otherwise `*` → its `q`; otherwise identity → `1` (acceptable by
    /// default, "unless specifically excluded … stating either `identity;q=0` or `*;q=0` without
    /// a more specific entry for identity") and any other coding → `0`. Without the field every
    /// coding is `1`.
    public func quality(of coding: ContentCoding) -> Double {
        guard self.isPresent else { return 1 }
        if let q = self.listed[coding] { return q }
        if let q = self.wildcard { return q }
        return coding == .identity ? 1 : 0
    }

    /// The coding to send, given the codings Tern can produce for this response (RFC 9110 §12.5.3).
    ///
    /// The acceptable coding (q > 0) with the highest q wins; at equal q `br` beats `gzip` beats
    /// identity. Identity that is acceptable only by default (not listed, no `*`) ranks below every
    /// acceptable coding, so `gzip;q=0.5` gets gzip. Without the field: identity when available,
    /// else the best available coding (any coding is acceptable then).
    ///
    /// `nil`: nothing in `available` is acceptable (e.g. `identity;q=0` and no acceptable coding
    /// available). Tern then sends identity anyway, disregarding the field as §12.1 allows, rather
    /// than 406: see Docs/compression.md. Callers should list `.identity` whenever they can
    /// produce it (Tern always can, by decoding).
    public func choose(available: [ContentCoding]) -> ContentCoding? {
        if !self.isPresent {
            if available.contains(.identity) { return .identity }
            return Self.preference.first { available.contains($0) }
        }
        var best: ContentCoding?
        var bestRank = 0.0
        for coding in Self.preference where available.contains(coding) {
            var rank = self.quality(of: coding)
            guard rank > 0 else { continue }
            if coding == .identity && self.listed[.identity] == nil && self.wildcard == nil {
                rank = 0.0001  // acceptable by default only: below every explicit q (≥ 0.001)
            }
            if rank > bestRank {  // strict: earlier (preferred) codings win ties
                best = coding
                bestRank = rank
            }
        }
        return best
    }

    /// Tie-break order at equal quality.
    private static let preference: [ContentCoding] = [.br, .gzip, .identity]

    /// The normalized cache-key token for this client: `"br"`, `"gzip"` or `"identity"`, the coding
    /// it would be served if all three were available. Countless raw `Accept-Encoding` strings map
    /// onto these three variants (a client that accepts nothing is served identity, so it shares
    /// the identity variant).
    public var variantToken: String {
        (self.choose(available: ContentCoding.allCases) ?? .identity).rawValue
    }
}
