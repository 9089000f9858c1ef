#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOHTTP1
import TernConfig
import TernCore

/// Tern's HTTP/1.1 message parser: the replacement for NIO's llhttp-based `HTTPRequestDecoder` and
/// `HTTPResponseDecoder` on the proxy's two hot channels (Docs/architecture.md, "HTTP/1.1 decoders").
///
/// NIO's decoders run inside `ByteToMessageHandler`, which is generic and not specialised across
/// modules: per message it looks up generic metadata, casts `NIOAny` payloads dynamically and goes
/// through llhttp's callbacks, ~20k instructions of a ~88k-instruction proxied request. This parser
/// reads a head in one pass over bytes already in memory, and hands out body bytes as slices.
///
/// It accepts what llhttp in strict mode accepts (differential tests against NIO's decoder in
/// `HTTP1DecoderTests`): CRLF line ends only, no obs-fold, no space before a field's colon, the
/// llhttp method list, HTTP/1.0 and 1.1. Framing follows RFC 9112 §6: `Content-Length` together
/// with `Transfer-Encoding` is an error, as are repeated `Content-Length` fields, a request whose
/// last transfer coding is not `chunked`, and an invalid chunk size — so ambiguous framing never
/// reaches the next hop.
struct HTTP1Parser {
    enum Kind { case request, response }

    enum Event {
        case requestHead(HTTPRequestHead)
        case responseHead(HTTPResponseHead)
        case body(ByteBuffer)
        case end(HTTPHeaders?)
    }

    enum State: Equatable {
        /// Waiting for (the rest of) a head.
        case head
        /// The message has no more body: `.end` comes next.
        case endPending
        /// A `Content-Length` body with this many bytes to go.
        case fixed(Int)
        /// Waiting for a chunk-size line.
        case chunkSize
        /// Inside a chunk's data.
        case chunkData(Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        /// The trailer section after the last chunk.
        case trailers
        /// A response delimited by the connection closing.
        case untilClose
    }

    let kind: Kind
    let limits: HTTP1DecoderLimits
    private var state = State.head
    /// How many bytes of an incomplete head have already been searched for its end.
    private var scanned = 0
    /// Response side: methods of the requests sent whose final responses have not started.
    private var methods: [HTTPMethod] = []
    /// Interim responses skipped since the last final response (response side).
    private var interimResponses = 0

    init(kind: Kind, limits: HTTP1DecoderLimits = HTTP1DecoderLimits()) {
        self.kind = kind
        self.limits = limits
    }

    /// Whether a message has begun and not ended (bytes of a head, or a body in progress).
    func isMidMessage(buffered: Int) -> Bool {
        switch self.state {
        case .head: return buffered > 0
        case .endPending: return false  // complete; only its `.end` is still to be handed out
        default: return true
        }
    }

    /// The connection closed: a response delimited by the close is complete (returns `true`; the
    /// caller delivers its `.end`).
    mutating func endAtClose() -> Bool {
        guard self.state == .untilClose else { return false }
        self.state = .head
        return true
    }

    /// Response side: a request with this method went out (a response to `HEAD` has no body).
    mutating func requestSent(_ method: HTTPMethod) {
        self.methods.append(method)
    }

    /// The bytes to parse: those left from earlier reads (taken out of `pending`), then `incoming`.
    static func joining(_ pending: inout ByteBuffer?, _ incoming: ByteBuffer) -> ByteBuffer {
        guard var joined = pending else { return incoming }
        pending = nil
        var incoming = incoming
        joined.writeBuffer(&incoming)
        return joined
    }

    /// The next event in `buffer`, consuming its bytes; `nil` when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        while true {
            switch self.state {
            case .head:
                guard buffer.readableBytes > 0 else { return nil }
                switch try self.parseHead(&buffer) {
                case .event(let event): return event
                case .incomplete: return nil
                case .skipped: continue  // a dropped interim response: go on with what follows
                }
            case .endPending:
                self.state = .head
                return .end(nil)
            case .fixed(let remaining):
                let count = min(remaining, buffer.readableBytes)
                guard count > 0 else { return nil }
                self.state = count == remaining ? .endPending : .fixed(remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkData(let remaining):
                let count = min(remaining, buffer.readableBytes)
                guard count > 0 else { return nil }
                self.state = count == remaining ? .chunkDataEnd : .chunkData(remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw HTTPParserError.invalidChunkSize }
                self.state = .chunkSize
            case .chunkSize:
                guard let size = try Self.chunkSize(&buffer) else { return nil }
                self.state = size == 0 ? .trailers : .chunkData(size)
            case .trailers:
                guard let fields = try self.trailerSection(&buffer) else { return nil }
                self.state = .head
                return .end(fields.isEmpty ? nil : HTTPHeaders(fields))
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            }
        }
    }

    // MARK: Heads

    private enum HeadResult {
        case event(Event)
        case incomplete
        case skipped
    }

    private mutating func parseHead(_ buffer: inout ByteBuffer) throws -> HeadResult {
        // RFC 9112 §2.2: empty lines before a message are ignored.
        while self.skipEmptyLine(&buffer) {}
        let from = self.scanned
        let end = try buffer.withUnsafeReadableBytes { try Self.headEnd(in: $0, from: from) }
        guard let end else {
            self.scanned = buffer.readableBytes
            try self.checkIncompleteHead(buffer)
            return .incomplete
        }
        self.scanned = 0
        // `end` is the offset of the empty line's CR: the fields end with the CRLF just before it.
        let parsed = try buffer.withUnsafeReadableBytes { raw in
            try Self.parseHead(UnsafeRawBufferPointer(rebasing: raw[0..<end]), kind: self.kind, limits: self.limits)
        }
        buffer.moveReaderIndex(forwardBy: end + 2)
        switch parsed {
        case .request(let head, let framing):
            self.state = try Self.requestBodyState(framing)
            return .event(.requestHead(head))
        case .response(let head, let framing):
            let code = head.status.code
            if code >= 100, code < 200, code != 101 {
                self.interimResponses += 1
                guard self.interimResponses <= self.limits.maxInterimResponses else {
                    throw OriginResponseLimitError(description: "more than \(self.limits.maxInterimResponses) interim (1xx) responses")
                }
                return .skipped  // interim responses are dropped (NIO's `.drop` strategy)
            }
            self.interimResponses = 0
            let method = self.methods.isEmpty ? HTTPMethod.GET : self.methods.removeFirst()
            self.state = try Self.responseBodyState(framing, status: code, method: method)
            return .event(.responseHead(head))
        }
    }

    /// Fails an incomplete head that is already longer than any head the limits allow: exactly
    /// when `parseHead` would fail it complete, so the answer does not depend on how it was split
    /// into reads (a start line's CR may sit at offset `maxStartLine`, its LF one further).
    private func checkIncompleteHead(_ buffer: ByteBuffer) throws {
        let readable = buffer.readableBytes
        let lineBound = self.limits.maxStartLine + 2
        guard readable >= lineBound else { return }
        let firstLineEnds = buffer.withUnsafeReadableBytes { raw in
            raw[0..<lineBound].contains(UInt8(ascii: "\n"))
        }
        guard firstLineEnds else { throw HTTP1URITooLongError() }
        if readable > self.limits.maxStartLine + self.limits.maxFieldSectionBytes {
            throw HTTPParserError.headerOverflow
        }
    }

    /// Consumes a CRLF at the start of `buffer` (an empty line), if there is one.
    private mutating func skipEmptyLine(_ buffer: inout ByteBuffer) -> Bool {
        guard buffer.readableBytes >= 2, buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == 0x0D0A else { return false }
        buffer.moveReaderIndex(forwardBy: 2)
        self.scanned = 0
        return true
    }

    /// The offset of the CR of the empty line that ends a head, searching from `from`; every LF
    /// must follow a CR.
    static func headEnd(in raw: UnsafeRawBufferPointer, from: Int) throws -> Int? {
        let count = raw.count
        var index = max(from, 0)
        while index < count {
            guard let lf = Self.find(UInt8(ascii: "\n"), in: raw, from: index) else { return nil }
            guard lf > 0, raw[lf - 1] == UInt8(ascii: "\r") else { throw HTTPParserError.lfExpected }
            // An empty line: CRLF right after the previous line's CRLF.
            if lf >= 3, raw[lf - 2] == UInt8(ascii: "\n") { return lf - 1 }
            index = lf + 1
        }
        return nil
    }

    @inline(__always)
    static func find(_ byte: UInt8, in raw: UnsafeRawBufferPointer, from: Int) -> Int? {
        guard from < raw.count, let base = raw.baseAddress else { return nil }
        guard let hit = memchr(base + from, Int32(byte), raw.count - from) else { return nil }
        return base.distance(to: UnsafeRawPointer(hit))
    }

    /// What a parsed head's framing fields say.
    struct Framing: Equatable {
        var contentLength: Int?
        /// The last transfer coding named, lowercased (`nil`: no `Transfer-Encoding`).
        var lastTransferCoding: Substring?
        var transferEncoding = false
        /// Across every `Transfer-Encoding` field: how many codings were `chunked` and how many were
        /// something else (empty list elements are not codings).
        var chunkedCodings = 0
        var otherCodings = 0
    }

    enum ParsedHead {
        case request(HTTPRequestHead, Framing)
        case response(HTTPResponseHead, Framing)
    }

    /// Parses a head: the start line and the field lines, each ending with CRLF (the empty line
    /// that ends the head is not part of `raw`).
    static func parseHead(_ raw: UnsafeRawBufferPointer, kind: Kind, limits: HTTP1DecoderLimits) throws -> ParsedHead {
        let count = raw.count
        // The start line (every line in `raw` ends with CRLF; `headEnd` checked that each LF follows a CR).
        guard let lineEnd = Self.find(UInt8(ascii: "\r"), in: raw, from: 0) else { throw HTTPParserError.invalidConstant }
        guard lineEnd + 1 < count, raw[lineEnd + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
        guard lineEnd <= limits.maxStartLine else { throw HTTP1URITooLongError() }
        // The bound `checkIncompleteHead` holds an incomplete head to (whose longest incomplete
        // prefix is `count + 1` bytes): whitespace after a field's colon counts against no limit,
        // so without it a padded head passed in one read and failed when split.
        guard count + 1 <= limits.maxStartLine + limits.maxFieldSectionBytes else { throw HTTPParserError.headerOverflow }
        let start: StartLine
        switch kind {
        case .request: start = try Self.requestLine(UnsafeRawBufferPointer(rebasing: raw[0..<lineEnd]))
        case .response: start = try Self.statusLine(UnsafeRawBufferPointer(rebasing: raw[0..<lineEnd]))
        }
        var counted = 0
        if case .request(_, let uri, _) = start { counted = uri.utf8.count }
        guard counted <= limits.maxHeaderListSize else { throw HTTPParserError.headerOverflow }
        let (fields, framing) = try Self.fieldLines(
            UnsafeRawBufferPointer(rebasing: raw[(lineEnd + 2)...]), limits: limits, trailers: false, counted: counted
        )
        if framing.transferEncoding, framing.contentLength != nil {
            throw HTTPParserError.unexpectedContentLength
        }
        let headers = HTTPHeaders(fields)
        switch start {
        case .request(let method, let uri, let version):
            return .request(HTTPRequestHead(version: version, method: method, uri: uri, headers: headers), framing)
        case .status(let version, let code):
            return .response(HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: code), headers: headers), framing)
        }
    }

    enum StartLine {
        case request(HTTPMethod, String, HTTPVersion)
        case status(HTTPVersion, Int)
    }

    /// `method SP request-target SP HTTP-version`
    static func requestLine(_ line: UnsafeRawBufferPointer) throws -> StartLine {
        let count = line.count
        var index = 0
        while index < count, HTTP1Bytes.isTchar(line[index]) { index += 1 }
        guard index > 0, index < count, line[index] == UInt8(ascii: " ") else { throw HTTPParserError.invalidMethod }
        let method = try Self.method(UnsafeRawBufferPointer(rebasing: line[0..<index]))
        while index < count, line[index] == UInt8(ascii: " ") { index += 1 }  // llhttp allows several
        let targetStart = index
        while index < count, line[index] != UInt8(ascii: " ") {
            guard HTTP1Bytes.isTargetByte(line[index]) else { throw HTTPParserError.invalidURL }
            index += 1
        }
        guard index > targetStart, index < count else { throw HTTPParserError.invalidURL }
        let uri = String(decoding: UnsafeRawBufferPointer(rebasing: line[targetStart..<index]), as: UTF8.self)
        while index < count, line[index] == UInt8(ascii: " ") { index += 1 }
        let version = try Self.version(line, at: index)
        guard index + 8 == count else { throw HTTPParserError.invalidVersion }
        return .request(method, uri, version)
    }

    /// `HTTP-version SP 3DIGIT SP [reason-phrase]`
    static func statusLine(_ line: UnsafeRawBufferPointer) throws -> StartLine {
        let count = line.count
        let version = try Self.version(line, at: 0)
        guard count >= 12, line[8] == UInt8(ascii: " ") else { throw HTTPParserError.invalidStatus }
        var code = 0
        for index in 9..<12 {
            let digit = line[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw HTTPParserError.invalidStatus }
            code = code * 10 + Int(digit)
        }
        guard code >= 100 else { throw HTTPParserError.invalidStatus }
        if count > 12 {
            guard line[12] == UInt8(ascii: " ") else { throw HTTPParserError.invalidStatus }
            for index in 13..<count where !HTTP1Bytes.isFieldValueByte(line[index]) {
                throw HTTPParserError.invalidStatus
            }
        }
        return .status(version, code)
    }

    /// `HTTP/1.0` or `HTTP/1.1` at `index`.
    static func version(_ line: UnsafeRawBufferPointer, at index: Int) throws -> HTTPVersion {
        guard line.count - index >= 8,
              line[index] == UInt8(ascii: "H"), line[index + 1] == UInt8(ascii: "T"), line[index + 2] == UInt8(ascii: "T"),
              line[index + 3] == UInt8(ascii: "P"), line[index + 4] == UInt8(ascii: "/"), line[index + 6] == UInt8(ascii: ".")
        else { throw HTTPParserError.invalidVersion }
        let major = line[index + 5] &- UInt8(ascii: "0")
        let minor = line[index + 7] &- UInt8(ascii: "0")
        guard major == 1, minor <= 1 else { throw HTTPParserError.invalidVersion }
        return minor == 1 ? .http1_1 : .http1_0
    }

    /// The methods llhttp knows in HTTP mode; anything else is `invalidMethod`.
    static func method(_ bytes: UnsafeRawBufferPointer) throws -> HTTPMethod {
        // The common ones without building a String.
        switch bytes.count {
        case 3:
            if bytes[0] == UInt8(ascii: "G"), bytes[1] == UInt8(ascii: "E"), bytes[2] == UInt8(ascii: "T") { return .GET }
            if bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "U"), bytes[2] == UInt8(ascii: "T") { return .PUT }
        case 4:
            if bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "E"), bytes[2] == UInt8(ascii: "A"), bytes[3] == UInt8(ascii: "D") { return .HEAD }
            if bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "O"), bytes[2] == UInt8(ascii: "S"), bytes[3] == UInt8(ascii: "T") { return .POST }
        default:
            break
        }
        let name = String(decoding: bytes, as: UTF8.self)
        guard let method = HTTP1Bytes.knownMethods[name] else { throw HTTPParserError.invalidMethod }
        return method
    }

    /// Field lines (`name: value` CRLF ...) into pairs, with the framing fields noted.
    /// `counted`: bytes already counted against `maxHeaderListSize` (llhttp's URL, as in NIO).
    static func fieldLines(_ raw: UnsafeRawBufferPointer, limits: HTTP1DecoderLimits, trailers: Bool, counted: Int = 0) throws -> ([(String, String)], Framing) {
        let count = raw.count
        var fields: [(String, String)] = []
        var framing = Framing()
        var index = 0
        var total = counted
        while index < count {
            let nameStart = index
            while index < count, HTTP1Bytes.isTchar(raw[index]) { index += 1 }
            guard index > nameStart, index < count, raw[index] == UInt8(ascii: ":") else { throw HTTPParserError.invalidHeaderToken }
            let nameEnd = index
            index += 1
            while index < count, raw[index] == UInt8(ascii: " ") || raw[index] == UInt8(ascii: "\t") { index += 1 }
            let valueStart = index
            while index < count, raw[index] != UInt8(ascii: "\r") {
                guard HTTP1Bytes.isFieldValueByte(raw[index]) else { throw HTTPParserError.invalidHeaderToken }
                index += 1
            }
            guard index + 1 < count, raw[index + 1] == UInt8(ascii: "\n") else { throw HTTPParserError.lfExpected }
            // Trailing whitespace stays part of the value, as llhttp hands it to NIO.
            let valueEnd = index
            index += 2

            // NIO's limits: a name or a value at most `maxHeaderFieldSize`; URL + names + values at
            // most `maxHeaderListSize`; at most `maxHeaderCount` fields.
            let nameSize = nameEnd - nameStart
            let valueSize = valueEnd - valueStart
            total += nameSize + valueSize
            guard nameSize <= limits.maxHeaderFieldSize, valueSize <= limits.maxHeaderFieldSize,
                  total <= limits.maxHeaderListSize, fields.count < limits.maxHeaderCount
            else {
                throw HTTPParserError.headerOverflow
            }
            let name = UnsafeRawBufferPointer(rebasing: raw[nameStart..<nameEnd])
            let value = UnsafeRawBufferPointer(rebasing: raw[valueStart..<valueEnd])
            if !trailers {
                if name.count == 14, HTTP1Bytes.equalsLowercase(name, "content-length") {
                    guard framing.contentLength == nil else { throw HTTPParserError.unexpectedContentLength }
                    framing.contentLength = try Self.contentLength(value)
                } else if name.count == 17, HTTP1Bytes.equalsLowercase(name, "transfer-encoding") {
                    framing.transferEncoding = true
                    framing.lastTransferCoding = Self.lastCoding(value)
                    Self.countCodings(value, into: &framing)
                }
            }
            if fields.isEmpty { fields.reserveCapacity(16) }
            fields.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
        }
        return (fields, framing)
    }

    static func contentLength(_ value: UnsafeRawBufferPointer) throws -> Int {
        guard !value.isEmpty, value.count <= 18 else { throw HTTPParserError.invalidContentLength }
        var length = 0
        for byte in value {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { throw HTTPParserError.invalidContentLength }
            length = length * 10 + Int(digit)
        }
        return length
    }

    /// The last comma-separated coding of a `Transfer-Encoding` value, lowercased and trimmed.
    static func lastCoding(_ value: UnsafeRawBufferPointer) -> Substring {
        let text = String(decoding: value, as: UTF8.self)
        let last = text.split(separator: ",", omittingEmptySubsequences: false).last ?? Substring(text)
        return Substring(last.trimmingSpaces().lowercased())
    }

    /// Counts the codings of one `Transfer-Encoding` value into `framing`.
    static func countCodings(_ value: UnsafeRawBufferPointer, into framing: inout Framing) {
        for element in String(decoding: value, as: UTF8.self).split(separator: ",") {
            let coding = element.trimmingSpaces()
            if coding.isEmpty { continue }
            if coding.utf8.count == 7, String(coding).caseInsensitiveEquals("chunked") {
                framing.chunkedCodings += 1
            } else {
                framing.otherCodings += 1
            }
        }
    }

    /// RFC 9112 §6.3 for a request: a `Transfer-Encoding` whose last coding is not `chunked` is 400;
    /// one naming any other coding is 501 (RFC 9112 §6.1: Tern forwards no transfer coding but
    /// `chunked`, so none can be dropped silently); `chunked` named twice is 400. Then
    /// `Content-Length`, else no body.
    static func requestBodyState(_ framing: Framing) throws -> State {
        if framing.transferEncoding {
            guard framing.lastTransferCoding == "chunked" else { throw HTTPParserError.invalidConstant }
            guard framing.otherCodings == 0 else { throw HTTP1UnsupportedTransferCodingError() }
            guard framing.chunkedCodings == 1 else { throw HTTPParserError.invalidConstant }
            return .chunkSize
        }
        if let length = framing.contentLength, length > 0 { return .fixed(length) }
        return .endPending
    }

    /// RFC 9112 §6.3 for a response: none for `HEAD`, 1xx, 204 and 304; chunked if the last coding
    /// is `chunked`, else until close; else `Content-Length`; else until close.
    static func responseBodyState(_ framing: Framing, status: UInt, method: HTTPMethod) throws -> State {
        if method == .HEAD || status < 200 || status == 204 || status == 304 { return .endPending }
        if framing.transferEncoding {
            return framing.lastTransferCoding == "chunked" ? .chunkSize : .untilClose
        }
        if let length = framing.contentLength { return length > 0 ? .fixed(length) : .endPending }
        return .untilClose
    }

    // MARK: Chunks

    /// Longest chunk-size line accepted (size + extensions).
    static let maxChunkLine = 4096

    /// Reads `chunk-size [chunk-ext] CRLF`; `nil` if the line is incomplete.
    static func chunkSize(_ buffer: inout ByteBuffer) throws -> Int? {
        let parsed: (size: Int, consumed: Int)? = try buffer.withUnsafeReadableBytes { raw in
            guard let lf = Self.find(UInt8(ascii: "\n"), in: raw, from: 0) else {
                if raw.count > Self.maxChunkLine { throw HTTPParserError.invalidChunkSize }
                return nil
            }
            guard lf > 0, raw[lf - 1] == UInt8(ascii: "\r"), lf <= Self.maxChunkLine else { throw HTTPParserError.invalidChunkSize }
            let end = lf - 1
            var index = 0
            var size = 0
            while index < end, let digit = HTTP1Bytes.hexValue(raw[index]) {
                guard size < (1 << 56) else { throw HTTPParserError.invalidChunkSize }
                size = size << 4 | Int(digit)
                index += 1
            }
            guard index > 0 else { throw HTTPParserError.invalidChunkSize }
            // Extensions: *( ";" token [ "=" ( token / quoted-string ) ] ), no whitespace (llhttp
            // strict); their content is ignored (RFC 9112 §7.1.1).
            while index < end {
                guard raw[index] == UInt8(ascii: ";") else { throw HTTPParserError.invalidChunkSize }
                index += 1
                let nameStart = index
                while index < end, HTTP1Bytes.isTchar(raw[index]) { index += 1 }
                guard index > nameStart else { throw HTTPParserError.invalidChunkSize }
                guard index < end, raw[index] == UInt8(ascii: "=") else { continue }
                index += 1
                if index < end, raw[index] == UInt8(ascii: "\"") {
                    index += 1
                    var closed = false
                    while index < end {
                        let byte = raw[index]
                        if byte == UInt8(ascii: "\"") { closed = true; index += 1; break }
                        if byte == UInt8(ascii: "\\") {
                            index += 1
                            guard index < end, HTTP1Bytes.isFieldValueByte(raw[index]) else { throw HTTPParserError.invalidChunkSize }
                        } else {
                            guard HTTP1Bytes.isFieldValueByte(byte) else { throw HTTPParserError.invalidChunkSize }
                        }
                        index += 1
                    }
                    guard closed else { throw HTTPParserError.invalidChunkSize }
                } else {
                    let valueStart = index
                    while index < end, HTTP1Bytes.isTchar(raw[index]) { index += 1 }
                    guard index > valueStart else { throw HTTPParserError.invalidChunkSize }
                }
            }
            return (size, lf + 1)
        }
        guard let parsed else { return nil }
        buffer.moveReaderIndex(forwardBy: parsed.consumed)
        return parsed.size
    }

    /// The trailer section after the last chunk, up to and including its empty line; `nil` if incomplete.
    private mutating func trailerSection(_ buffer: inout ByteBuffer) throws -> [(String, String)]? {
        if self.skipEmptyLine(&buffer) { return [] }
        let from = self.scanned
        let end = try buffer.withUnsafeReadableBytes { try Self.headEnd(in: $0, from: from) }
        guard let end else {
            self.scanned = buffer.readableBytes
            if buffer.readableBytes > self.limits.maxFieldSectionBytes {
                throw HTTPParserError.headerOverflow
            }
            return nil
        }
        self.scanned = 0
        // As for heads: the bound an incomplete trailer section is held to, whatever the reads.
        guard end + 1 <= self.limits.maxFieldSectionBytes else { throw HTTPParserError.headerOverflow }
        let (fields, _) = try buffer.withUnsafeReadableBytes { raw in
            try Self.fieldLines(UnsafeRawBufferPointer(rebasing: raw[0..<end]), limits: self.limits, trailers: true)
        }
        buffer.moveReaderIndex(forwardBy: end + 2)
        return fields
    }
}

/// Limits the decoders enforce on heads (NIO's `NIOHTTPDecoderLimitConfiguration` plus the start line).
struct HTTP1DecoderLimits {
    /// One field's name + value.
    var maxHeaderFieldSize = 80 * 1024
    /// All names + values of a head.
    var maxHeaderListSize = 80 * 1024
    var maxHeaderCount = Int(UInt16.max) - 1
    /// The most bytes a complete field section can take on the wire within the limits above (names,
    /// values, and ": " + CRLF per field, counted for at most 4,096 fields), plus the closing CRLF: an
    /// incomplete one already longer cannot end well.
    var maxFieldSectionBytes: Int { self.maxHeaderListSize + 4 * min(self.maxHeaderCount, 4096) + 4 }
    /// The longest request or status line; a longer request line is answered 414.
    var maxStartLine = 64 * 1024
    /// Interim (1xx) responses skipped before a final one (response side; more is an error).
    var maxInterimResponses = Int.max

    /// The limits on an origin's response heads (`response_limits` of its pool).
    init(origin: OriginResponseLimits) {
        let bytes = Int(clamping: origin.maxHeaderBytes.bytes)
        self.maxHeaderFieldSize = bytes
        self.maxHeaderListSize = bytes
        self.maxHeaderCount = origin.maxHeaderCount
        self.maxInterimResponses = origin.maxInterimResponses
    }

    init() {}
}

/// A request line longer than the decoder accepts: answered 414 (URI Too Long).
struct HTTP1URITooLongError: Error, Equatable {}

/// A request with a transfer coding other than `chunked`: answered 501 (Not Implemented).
struct HTTP1UnsupportedTransferCodingError: Error, Equatable {}

/// Byte classes of HTTP/1.1 syntax, as llhttp's strict mode draws them. Bit masks and ranges,
/// not a table: a global table costs a lazy-initialisation check on every byte.
enum HTTP1Bytes {
    /// `tchar` (RFC 9110 §5.6.2) as two 64-bit masks over ASCII (the same set as `HTTPSyntax.isTchar`).
    @inline(__always) static func isTchar(_ byte: UInt8) -> Bool {
        if byte < 64 { return (0x3ff6cfa00000000 as UInt64) >> UInt64(byte) & 1 != 0 }
        if byte < 128 { return (0x57ffffffc7fffffe as UInt64) >> UInt64(byte - 64) & 1 != 0 }
        return false
    }

    /// Request targets: visible ASCII only (llhttp refuses controls, space, DEL and bytes >= 0x80).
    @inline(__always) static func isTargetByte(_ byte: UInt8) -> Bool { byte > 0x20 && byte < 0x7F }

    /// Field values: HTAB, SP, visible ASCII, obs-text.
    @inline(__always) static func isFieldValueByte(_ byte: UInt8) -> Bool { byte == 0x09 || (byte >= 0x20 && byte != 0x7F) }

    @inline(__always) static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Whether `bytes`, ASCII-lowercased, equal `lowercase` (which must be lowercase ASCII).
    @inline(__always) static func equalsLowercase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            var byte = bytes[index]
            if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
            guard byte == expected[index] else { return false }
        }
        return true
    }

    /// llhttp's HTTP-mode methods, as NIO names them.
    static let knownMethods: [String: HTTPMethod] = {
        let names = [
            "DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK", "MKCOL", "MOVE",
            "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
            "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR",
            "LINK", "UNLINK", "SOURCE", "QUERY",
        ]
        var table: [String: HTTPMethod] = [:]
        for name in names { table[name] = HTTPMethod(rawValue: name) }
        table["M-SEARCH"] = .MSEARCH  // NIO's spelling
        return table
    }()
}

/// The client side's request decoder: bytes in, `HTTPServerRequestPart`s out, as NIO's
/// `ByteToMessageHandler(HTTPRequestDecoder())` did (errors go to `errorCaught`; after one, the
/// rest of the connection's bytes are ignored). Given the `ProxyHandler` behind it, it hands parts
/// to it directly (nothing sits between them inbound); without one, through the pipeline.
final class RequestDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart

    private var parser: HTTP1Parser
    /// Bytes of an incomplete head or chunk line, waiting for more.
    private var pending: ByteBuffer?
    private var failed = false
    private var closed = false
    /// The handler right behind this one, called directly rather than through the pipeline.
    private let handler: ProxyHandler?

    init(limits: HTTP1DecoderLimits, handler: ProxyHandler? = nil) {
        self.parser = HTTP1Parser(kind: .request, limits: limits)
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        var buffer = HTTP1Parser.joining(&self.pending, self.unwrapInboundIn(data))
        do {
            while let event = try self.parser.next(&buffer) {
                let part: HTTPServerRequestPart
                switch event {
                case .requestHead(let head): part = .head(head)
                case .body(let bytes): part = .body(bytes)
                case .end(let trailers): part = .end(trailers)
                case .responseHead: preconditionFailure("a request parser produced a response head")
                }
                if let handler = self.handler {
                    handler.clientPart(part)
                } else {
                    context.fireChannelRead(self.wrapInboundOut(part))
                }
                if self.failed || self.closed { return }
            }
        } catch {
            self.fail(context: context, error)
            return
        }
        if buffer.readableBytes > 0 { self.pending = buffer }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { self.endOfInput(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    /// The connection is gone: nothing to answer, so no error either (the handler behind aborts
    /// whatever was in progress).
    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.pending = nil
        context.fireChannelInactive()
    }

    /// The client half-closed: a message cut short is an error (as with llhttp's `finish`), which
    /// the client can still read the answer to.
    private func endOfInput(context: ChannelHandlerContext) {
        guard !self.failed else { return }
        if self.parser.isMidMessage(buffered: self.pending?.readableBytes ?? 0) {
            self.fail(context: context, HTTPParserError.invalidEOFState)
        }
        self.pending = nil
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        self.failed = true
        self.pending = nil
        context.fireErrorCaught(error)
    }
}
