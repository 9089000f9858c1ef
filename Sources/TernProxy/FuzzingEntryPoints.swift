import NIOCore
import NIOHTTP1
import TernPolicy

/// Entry points for the libFuzzer targets in `Fuzz/` (Docs/fuzzing.md): the request parser is
/// internal, so the fuzzers reach it through here. Every check is a `precondition`, so a violated
/// invariant crashes the fuzzer (in debug and release builds alike) and leaves a reproducer.
/// Nothing in the proxy calls this.
public enum HTTP1Fuzzing {
    /// Parses `bytes` as the request side of a connection, as ``RequestDecoder`` would, under two
    /// sets of limits (the defaults, and small ones so the limit paths are reachable):
    ///
    /// 1. in one read, then split the way sockets split it (at one position derived from the
    ///    bytes, and in small pieces), checking that every feeding yields the same events (body
    ///    bytes compared as one run) and stops with an error at the same point;
    /// 2. for every request head, runs ``RequestTarget/init(uri:)`` and
    ///    ``CanonicalRequest/make(target:hostField:options:)`` under every ``EncodedSlashPolicy``
    ///    and checks ``checkCanonical(_:options:)``.
    public static func parseRequests(_ bytes: [UInt8]) {
        let seed = bytes.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFF }
        let splitAt = bytes.isEmpty ? 0 : seed % (bytes.count + 1)
        let pieceSize = 1 + seed % 13
        var small = HTTP1DecoderLimits()
        small.maxHeaderFieldSize = 64
        small.maxHeaderListSize = 256
        small.maxHeaderCount = 8
        small.maxStartLine = 128
        for limits in [HTTP1DecoderLimits(), small] {
            let whole = Self.run(pieces: [bytes[...]], limits: limits)
            let split = Self.run(pieces: [bytes[..<splitAt], bytes[splitAt...]], limits: limits)
            let pieces = stride(from: 0, to: bytes.count, by: pieceSize).map { bytes[$0..<min($0 + pieceSize, bytes.count)] }
            let trickled = Self.run(pieces: pieces, limits: limits)
            precondition(
                Self.sameOutcome(whole, split),
                "one read and two reads (split at \(splitAt)) parse differently:\n\(whole)\n\(split)"
            )
            precondition(
                Self.sameOutcome(whole, trickled),
                "one read and \(pieceSize)-byte reads parse differently:\n\(whole)\n\(trickled)"
            )
        }
        for case .head(let head) in Self.run(pieces: [bytes[...]], limits: HTTP1DecoderLimits()) {
            Self.canonicalise(head)
        }
    }

    /// What a feeding produced, body bytes joined per run.
    enum Outcome: Equatable, CustomStringConvertible {
        case head(HTTPRequestHead)
        case body([UInt8])
        case end(HTTPHeaders?)
        case error(String)
        /// The input ended: whether a message was cut short (``RequestDecoder`` fails it then).
        case eof(midMessage: Bool)

        var description: String {
            switch self {
            case .head(let head): "head(\(head.method) \(head.uri) \(head.version) \(Array(head.headers)))"
            case .body(let bytes): "body(\(bytes.count) bytes)"
            case .end(let trailers): "end(\(trailers.map { Array($0).description } ?? "nil"))"
            case .error(let error): "error(\(error))"
            case .eof(let midMessage): "eof(midMessage: \(midMessage))"
            }
        }
    }

    /// Feeds `pieces` to a request parser the way ``RequestDecoder/channelRead(context:data:)``
    /// does: leftover bytes are kept and joined to the next read; the first error ends it.
    static func run(pieces: [ArraySlice<UInt8>], limits: HTTP1DecoderLimits) -> [Outcome] {
        var parser = HTTP1Parser(kind: .request, limits: limits)
        var pending: ByteBuffer?
        var out: [Outcome] = []
        for piece in pieces {
            var buffer = HTTP1Parser.joining(&pending, ByteBuffer(bytes: piece))
            do {
                while let event = try parser.next(&buffer) {
                    switch event {
                    case .requestHead(let head):
                        out.append(.head(head))
                    case .body(let slice):
                        precondition(slice.readableBytes > 0, "an empty body event")
                        let bytes = Array(slice.readableBytesView)
                        if case .body(let previous) = out.last {
                            out[out.count - 1] = .body(previous + bytes)
                        } else {
                            out.append(.body(bytes))
                        }
                    case .end(let trailers):
                        out.append(.end(trailers))
                    case .responseHead:
                        preconditionFailure("a request parser produced a response head")
                    }
                }
            } catch {
                out.append(.error(String(reflecting: error)))
                return out
            }
            if buffer.readableBytes > 0 { pending = buffer }
        }
        out.append(.eof(midMessage: parser.isMidMessage(buffered: pending?.readableBytes ?? 0)))
        return out
    }

    /// The same events in the same order, and an error at the same point (which error may differ
    /// where the split decides which check sees the bytes first: a head that is still incomplete
    /// when it outgrows the limits is refused by size before its fields are read).
    static func sameOutcome(_ a: [Outcome], _ b: [Outcome]) -> Bool {
        guard a.count == b.count else { return false }
        for (x, y) in zip(a, b) {
            switch (x, y) {
            case (.error, .error): continue
            default: if x != y { return false }
            }
        }
        return true
    }

    /// Canonicalises one parsed request head as ``ProxyHandler`` does, under every policy, and
    /// checks the result.
    static func canonicalise(_ head: HTTPRequestHead) {
        guard let target = RequestTarget(uri: head.uri) else { return }
        let hosts = head.headers["host"]
        let hostField = hosts.count == 1 ? hosts[0] : nil
        for policy in EncodedSlashPolicy.allCases {
            for port in [80, 443] {
                let options = CanonicalizationOptions(encodedSlashes: policy, defaultPort: port)
                guard let canonical = try? CanonicalRequest.make(target: target, hostField: hostField, options: options) else {
                    continue
                }
                Self.checkCanonical(canonical, options: options)
            }
        }
    }

    /// The invariants of a canonical request (Docs/security.md, "Canonical requests").
    public static func checkCanonical(_ canonical: CanonicalRequest, options: CanonicalizationOptions) {
        let path = canonical.path
        // Shape: `*`, or `/` then segments that are neither empty (but the last) nor dot segments,
        // with escapes only for reserved bytes, in upper-case hex.
        if path != "*" {
            precondition(path.utf8.first == UInt8(ascii: "/"), "canonical path without a leading '/': \(path)")
            let segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
            for (index, segment) in segments.enumerated() {
                precondition(!segment.isEmpty || index == segments.count - 1, "empty segment in a canonical path: \(path)")
                precondition(!segment.elementsEqual(".".utf8) && !segment.elementsEqual("..".utf8), "dot segment in a canonical path: \(path)")
            }
            Self.checkEscapes(path, what: "path")
            if options.encodedSlashes != .keep {
                precondition(!path.uppercased().contains("%2F") && !path.uppercased().contains("%5C"), "encoded slash kept: \(path)")
            }
        }
        if let query = canonical.query { Self.checkEscapes(query, what: "query") }

        // Idempotence: each canonical part is its own canonical form.
        if path != "*" {
            let again = try? CanonicalRequest.canonicalPath(path, encodedSlashes: options.encodedSlashes)
            precondition(again == path, "canonicalPath is not idempotent: \(path) → \(again ?? "error")")
        }
        if let query = canonical.query {
            let again = CanonicalRequest.canonicalQuery(query)
            precondition(again == query, "canonicalQuery is not idempotent: \(query) → \(again)")
        }
        if let authority = canonical.authority {
            let again = try? CanonicalRequest.canonicalAuthority(authority, defaultPort: options.defaultPort)
            precondition(again == authority, "canonicalAuthority is not idempotent: \(authority) → \(again ?? "error")")
            precondition(
                !authority.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "@") || $0 == UInt8(ascii: ",") || $0 <= 0x20 }),
                "canonical authority with a delimiter: \(authority)"
            )
        }

        // What goes upstream (origin-form target and `Host`) parses back to the same request.
        if path != "*" {
            guard let reparsed = RequestTarget(uri: canonical.originForm) else {
                preconditionFailure("the canonical target does not parse: \(canonical.originForm)")
            }
            precondition(reparsed.path == path && reparsed.query == canonical.query, "the canonical target parses differently: \(canonical.originForm)")
            let remade = try? CanonicalRequest.make(target: reparsed, hostField: canonical.authority, options: options)
            precondition(remade == canonical, "canonicalising a canonical request changes it: \(canonical) → \(String(describing: remade))")
        }
    }

    /// Every escape (`%` and two hex digits) has upper-case digits and does not encode an
    /// unreserved byte; a path has no other `%`. A query may (a malformed escape is kept as sent),
    /// and then nothing in it is decoded.
    private static func checkEscapes(_ text: String, what: String) {
        let bytes = Array(text.utf8)
        var stray = false
        var scan = 0
        while scan < bytes.count {
            if bytes[scan] == UInt8(ascii: "%") {
                guard scan + 2 < bytes.count, Self.isHex(bytes[scan + 1]), Self.isHex(bytes[scan + 2]) else {
                    stray = true
                    break
                }
                scan += 3
            } else {
                scan += 1
            }
        }
        var index = 0
        while index < bytes.count {
            defer { index += 1 }
            guard bytes[index] == UInt8(ascii: "%") else { continue }
            guard index + 2 < bytes.count, Self.isHex(bytes[index + 1]), Self.isHex(bytes[index + 2]) else {
                precondition(what == "query", "a '%' that starts no escape in a canonical \(what): \(text)")
                continue
            }
            guard let hi = Self.upperHex(bytes[index + 1]), let lo = Self.upperHex(bytes[index + 2]) else {
                preconditionFailure("a lower-case escape in a canonical \(what): \(text)")
            }
            let value = hi << 4 | lo
            let unreserved = (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A) || (value >= 0x30 && value <= 0x39)
                || value == UInt8(ascii: "-") || value == UInt8(ascii: ".") || value == UInt8(ascii: "_") || value == UInt8(ascii: "~")
            precondition(!unreserved || stray, "an escaped unreserved byte in a canonical \(what): \(text)")
            index += 2
        }
    }

    private static func upperHex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        Self.upperHex(byte) != nil || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
    }
}
