import NIOCore
import NIOEmbedded
import NIOHTTP1
import TernCore
@testable import TernProxy
import XCTest

/// Tern's HTTP/1.1 parser (HTTP1Decoders.swift) must read messages as NIO's llhttp-based decoders
/// it replaces do: the same heads, bodies and trailers, and an error wherever llhttp (strict mode)
/// refuses. Differential tests: every input goes through both, whole and split into 1-byte reads.
final class HTTP1DecoderTests: XCTestCase {
    // MARK: Harness

    /// What a decoder made of an input, as comparable text: heads, body bytes (merged across
    /// slices), ends with trailers, and `error` (`error:overflow` for a too-large head) if it failed.
    private func describe(_ parts: [String], error: (any Error)?) -> String {
        var out = parts
        if let error {
            switch error {
            case HTTPParserError.headerOverflow: out.append("error:overflow")
            default: out.append("error")
            }
        }
        return out.joined(separator: " | ")
    }

    private func headLine(_ method: HTTPMethod, _ uri: String, _ version: HTTPVersion, _ headers: HTTPHeaders) -> String {
        "\(method.rawValue) \(uri) \(version) [" + headers.map { "\($0.name)=\($0.value)" }.joined(separator: ";") + "]"
    }

    private func append(_ parts: inout [String], body: ByteBuffer) {
        let text = String(decoding: body.readableBytesView, as: UTF8.self)
        if let last = parts.last, last.hasPrefix("body:") {
            parts[parts.count - 1] = last + text
        } else {
            parts.append("body:" + text)
        }
    }

    private func chunks(_ input: [UInt8], split: Bool) -> [ByteBuffer] {
        split ? input.map { ByteBuffer(bytes: [$0]) } : [ByteBuffer(bytes: input)]
    }

    /// Requests through NIO's `HTTPRequestDecoder` or Tern's `RequestDecoder`; EOF at the end.
    private func decodeRequests(_ input: [UInt8], tern: Bool, split: Bool = false, limits: HTTP1DecoderLimits = HTTP1DecoderLimits()) throws -> String {
        let channel = EmbeddedChannel()
        if tern {
            try channel.pipeline.syncOperations.addHandler(RequestDecoder(limits: limits))
        } else {
            var nio = NIOHTTPDecoderLimitConfiguration()
            nio.maxHeaderFieldSize = limits.maxHeaderFieldSize
            nio.maxHeaderListSize = limits.maxHeaderListSize
            nio.maxHeaderFieldCount = limits.maxHeaderCount
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(
                leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: nio
            )))
        }
        var parts: [String] = []
        var failure: (any Error)?
        func drain() throws {
            while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let head): parts.append(self.headLine(head.method, head.uri, head.version, head.headers))
                case .body(let body): self.append(&parts, body: body)
                case .end(let trailers): parts.append("end" + (trailers.map { " [" + $0.map { "\($0.name)=\($0.value)" }.joined(separator: ";") + "]" } ?? ""))
                }
            }
        }
        do {
            for chunk in self.chunks(input, split: split) {
                try channel.writeInbound(chunk)
                try drain()
            }
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            try channel.throwIfErrorCaught()
            try drain()
        } catch {
            // Parts fired before the error still count.
            try? drain()
            failure = error
        }
        _ = try? channel.finish()
        return self.describe(parts, error: failure)
    }

    /// Responses through NIO's `HTTPResponseDecoder` (told the request methods by writing request
    /// heads past it) or Tern's `HTTP1Parser` as `UpstreamHandler` drives it; EOF at the end.
    private func decodeResponses(_ input: [UInt8], methods: [HTTPMethod], tern: Bool, split: Bool = false) throws -> String {
        var parts: [String] = []
        var failure: (any Error)?
        func record(_ part: HTTPClientResponsePart) {
            switch part {
            case .head(let head): parts.append("\(head.version) \(head.status.code) [" + head.headers.map { "\($0.name)=\($0.value)" }.joined(separator: ";") + "]")
            case .body(let body): self.append(&parts, body: body)
            case .end(let trailers): parts.append("end" + (trailers.map { " [" + $0.map { "\($0.name)=\($0.value)" }.joined(separator: ";") + "]" } ?? ""))
            }
        }
        if tern {
            var parser = HTTP1Parser(kind: .response)
            for method in methods { parser.requestSent(method) }
            var pending = ByteBuffer()
            do {
                for var chunk in self.chunks(input, split: split) {
                    pending.writeBuffer(&chunk)
                    while let event = try parser.next(&pending) {
                        switch event {
                        case .responseHead(let head): record(.head(head))
                        case .body(let body): record(.body(body))
                        case .end(let trailers): record(.end(trailers))
                        case .requestHead: XCTFail("request head from a response parser")
                        }
                    }
                    pending.discardReadBytes()
                }
                if parser.endAtClose() {
                    record(.end(nil))
                } else if parser.isMidMessage(buffered: pending.readableBytes) {
                    throw HTTPParserError.invalidEOFState
                }
            } catch {
                failure = error
            }
        } else {
            let channel = EmbeddedChannel()
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
            for method in methods {
                try channel.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/")))
            }
            func drain() throws {
                while let part = try channel.readInbound(as: HTTPClientResponsePart.self) { record(part) }
            }
            do {
                for chunk in self.chunks(input, split: split) {
                    try channel.writeInbound(chunk)
                    try drain()
                }
                channel.pipeline.fireChannelInactive()
                try channel.throwIfErrorCaught()
                try drain()
            } catch {
                try? drain()
                failure = error
            }
            _ = try? channel.finish()
        }
        return self.describe(parts, error: failure)
    }

    private func assertSameRequests(_ text: String, limits: HTTP1DecoderLimits = HTTP1DecoderLimits(), file: StaticString = #filePath, line: UInt = #line) throws {
        try self.assertSameRequests(Array(text.utf8), label: text, limits: limits, file: file, line: line)
    }

    private func assertSameRequests(_ bytes: [UInt8], label: String, limits: HTTP1DecoderLimits = HTTP1DecoderLimits(), file: StaticString = #filePath, line: UInt = #line) throws {
        let nio = try self.decodeRequests(bytes, tern: false, limits: limits)
        XCTAssertEqual(try self.decodeRequests(bytes, tern: true, limits: limits), nio, "whole: \(label.debugDescription)", file: file, line: line)
        XCTAssertEqual(try self.decodeRequests(bytes, tern: true, split: true, limits: limits), nio, "split: \(label.debugDescription)", file: file, line: line)
    }

    private func assertSameResponses(_ text: String, methods: [HTTPMethod] = [.GET], file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = Array(text.utf8)
        let nio = try self.decodeResponses(bytes, methods: methods, tern: false)
        XCTAssertEqual(try self.decodeResponses(bytes, methods: methods, tern: true), nio, "whole: \(text.debugDescription)", file: file, line: line)
        XCTAssertEqual(try self.decodeResponses(bytes, methods: methods, tern: true, split: true), nio, "split: \(text.debugDescription)", file: file, line: line)
    }

    // MARK: Requests

    func testRequestsMatchNIO() throws {
        let cases = [
            "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /x?y=1 HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
            "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET http://example.com/p HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
            "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
            "GET / HTTP/1.1\r\nHost:a\r\nX-Empty:\r\nX-Spaces:   padded value \t \r\nX-Utf8: café\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nX-Two: 2\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\nHEAD /c HTTP/1.1\r\nHost: a\r\n\r\n",
            "PURGE /p HTTP/1.1\r\nHost: a\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n",
            // Ambiguous or broken framing.
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello",
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
            // Broken heads.
            "GET / HTTP/1.1\nHost: a\n\n",
            "GET / HTTP/1.1\r\nHost: a\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\n Host: a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
            "GET / HTTP/1.1\r\n: a\r\n\r\n",
            "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
            "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
            "GET /\r\n\r\n",
            "GET / HTTP/1.1\rHost: a\r\n\r\n",
            "get / HTTP/1.1\r\nHost: a\r\n\r\n",
            "FOO / HTTP/1.1\r\nHost: a\r\n\r\n",
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            " GET / HTTP/1.1\r\nHost: a\r\n\r\n",
            // Cut short by EOF.
            "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello",
            "GET / HTTP/1.1\r\nHost: a\r\n",
        ]
        for text in cases {
            try self.assertSameRequests(text)
        }
        for version in ["HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/11", "HTTPS/1.1", "http/1.1"] {
            try self.assertSameRequests("GET / \(version)\r\nHost: a\r\n\r\n")
        }
    }

    /// One deliberate difference: a request whose last transfer coding is not `chunked` fails
    /// before its head is handed on (llhttp reports it after the head), so nothing is forwarded.
    func testUnknownTransferCodingFailsBeforeTheHead() throws {
        let input = Array("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc".utf8)
        XCTAssertEqual(try self.decodeRequests(input, tern: false), "POST /u HTTP/1.1 [Host=a;Transfer-Encoding=gzip] | error")
        XCTAssertEqual(try self.decodeRequests(input, tern: true), "error")
    }

    /// Deliberate differences (issue 12): llhttp accepts a request whose codings end in `chunked` but
    /// name another one too (the other coding was then dropped silently on the way upstream), or name
    /// `chunked` twice. Tern refuses both before the head is handed on: 501 and 400, as nginx answers.
    func testOtherTransferCodingsAndDoubleChunkedAreRefused() throws {
        let gzipChunked = Array("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8)
        XCTAssertEqual(try self.decodeRequests(gzipChunked, tern: false), "POST /u HTTP/1.1 [Host=a;Transfer-Encoding=gzip, chunked] | body:abc | end")
        XCTAssertEqual(try self.decodeRequests(gzipChunked, tern: true), "error")
        for text in [
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ] {
            XCTAssertEqual(try self.decodeRequests(Array(text.utf8), tern: true), "error", text)
        }
        // One chunked coding, with empty list elements around it, is fine.
        let plain = Array("POST /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".utf8)
        XCTAssertEqual(try self.decodeRequests(plain, tern: true), "POST /u HTTP/1.1 [Host=a;Transfer-Encoding=, chunked] | body:abc | end")
    }

    func testByteClassMasksMatchTheGrammar() {
        for byte in UInt8.min...UInt8.max {
            XCTAssertEqual(HTTP1Bytes.isTchar(byte), HTTPSyntax.isTchar(byte), "tchar \(byte)")
        }
    }

    func testMethodsMatchNIO() throws {
        let methods = [
            "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "PURGE", "COPY", "LOCK", "MKCOL",
            "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
            "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE",
            "QUERY", "DESCRIBE", "ANNOUNCE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER",
            "REDIRECT", "RECORD", "FLUSH", "PRI", "FOO", "GETS", "GE", "Get", "G-T", "POSTX",
        ]
        for method in methods {
            try self.assertSameRequests("\(method) /m HTTP/1.1\r\nHost: a\r\n\r\n")
        }
    }

    /// Every byte value in a request target, a field name and a field value: accepted or refused alike.
    func testByteClassesMatchNIO() throws {
        for byte in UInt8.min...UInt8.max where byte != UInt8(ascii: "\r") && byte != UInt8(ascii: "\n") {
            let target = Array("GET /a".utf8) + [byte] + Array("b HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
            try self.assertSameRequests(target, label: "target byte \(byte)")
            let name = Array("GET / HTTP/1.1\r\nX".utf8) + [byte] + Array("Y: v\r\n\r\n".utf8)
            try self.assertSameRequests(name, label: "name byte \(byte)")
            let value = Array("GET / HTTP/1.1\r\nX: a".utf8) + [byte] + Array("b\r\n\r\n".utf8)
            try self.assertSameRequests(value, label: "value byte \(byte)")
            let chunkExt = Array("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;e=a".utf8) + [byte] + Array("\r\nx\r\n0\r\n\r\n".utf8)
            try self.assertSameRequests(chunkExt, label: "chunk extension byte \(byte)")
        }
    }

    func testLimitsMatchNIO() throws {
        var limits = HTTP1DecoderLimits()
        limits.maxHeaderListSize = 64
        limits.maxHeaderFieldSize = 64
        limits.maxHeaderCount = 3
        try self.assertSameRequests("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits)
        try self.assertSameRequests("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", limits: limits)
        try self.assertSameRequests("GET / HTTP/1.1\r\nA: \(String(repeating: "v", count: 63))\r\n\r\n", limits: limits)
        try self.assertSameRequests("GET / HTTP/1.1\r\nA: \(String(repeating: "v", count: 64))\r\n\r\n", limits: limits)
        try self.assertSameRequests("GET / HTTP/1.1\r\nA: \(String(repeating: "v", count: 40))\r\nB: \(String(repeating: "v", count: 40))\r\n\r\n", limits: limits)
    }

    /// A request line longer than the decoder's start-line limit is refused as too long (414)
    /// before the rest arrives; a head that keeps growing past the field limits is refused as 431.
    func testOverlongHeadsFailEarly() throws {
        var limits = HTTP1DecoderLimits()
        limits.maxStartLine = 100
        limits.maxHeaderListSize = 100
        limits.maxHeaderCount = 10
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RequestDecoder(limits: limits))
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: "GET /" + String(repeating: "a", count: 200)))) {
            XCTAssertTrue($0 is HTTP1URITooLongError, "\($0)")
        }
        _ = try? channel.finish()

        let second = EmbeddedChannel()
        try second.pipeline.syncOperations.addHandler(RequestDecoder(limits: limits))
        XCTAssertThrowsError(try second.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n" + String(repeating: "X-Long: aaaaaaaaaaaaaaaaaaaa\r\n", count: 20)))) {
            XCTAssertEqual($0 as? HTTPParserError, .headerOverflow)
        }
        _ = try? second.finish()
    }

    /// After an error the rest of the connection's bytes are ignored.
    func testNothingAfterAnError() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(RequestDecoder(limits: HTTP1DecoderLimits()))
        XCTAssertThrowsError(try channel.writeInbound(ByteBuffer(string: "BAD\r\n\r\n")))
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        XCTAssertNil(try channel.readInbound(as: HTTPServerRequestPart.self))
        _ = try? channel.finish()
    }

    // MARK: Responses

    func testResponsesMatchNIO() throws {
        let cases: [(String, [HTTPMethod])] = [
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"x\"\r\n\r\nhello", [.GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", [.GET]),
            ("HTTP/1.0 200 OK\r\nServer: s\r\n\r\nuntil close", [.GET]),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", [.GET]),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", [.GET]),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes to close", [.GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", [.HEAD]),
            ("HTTP/1.1 204 No Content\r\nX: 1\r\n\r\n", [.GET]),
            ("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nETag: \"e\"\r\n\r\n", [.GET]),
            ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", [.POST]),
            ("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", [.GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nx", [.GET, .GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", [.HEAD, .GET]),
            ("HTTP/1.1 299 Whatever Reason\r\nContent-Length: 1\r\n\r\nx", [.GET]),
            ("HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nx", [.GET]),
            ("HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\nx", [.GET]),
            // Broken.
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [.GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", [.GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", [.GET]),
            ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", [.GET]),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", [.GET]),
            ("HTTP/1.1 2000 OK\r\n\r\n", [.GET]),
            ("HTTP/1.1 20 OK\r\n\r\n", [.GET]),
            ("HTTP/2.0 200 OK\r\n\r\n", [.GET]),
            ("HTTP/1.1 200 OK\nContent-Length: 0\n\n", [.GET]),
            ("garbage\r\n\r\n", [.GET]),
        ]
        for (text, methods) in cases {
            try self.assertSameResponses(text, methods: methods)
        }
    }

    /// Found with the FuzzRequest fuzz target (one read vs split reads): whether a head was refused
    /// depended on how it was split. A request line of exactly `maxStartLine` bytes passed in one
    /// read and was 414 in small ones; a head or trailer section padded with whitespace after the
    /// colon (counted by no limit) passed in one read and was 431 in small ones.
    func testLimitsDoNotDependOnHowTheBytesAreSplit() throws {
        var limits = HTTP1DecoderLimits()
        limits.maxStartLine = 128
        limits.maxHeaderListSize = 256
        limits.maxHeaderFieldSize = 64
        limits.maxHeaderCount = 8
        let line = "GET /" + String(repeating: "a", count: 128 - 14) + " HTTP/1.1"
        let padding = String(repeating: " ", count: 600)
        let inputs = [
            line + "\r\nHost: h\r\n\r\n",
            "GET /" + String(repeating: "a", count: 128 - 13) + " HTTP/1.1\r\nHost: h\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: h\r\nX:" + padding + "v\r\n\r\n",
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX:" + padding + "v\r\n\r\n",
        ]
        for input in inputs {
            let whole = try self.decodeRequests(Array(input.utf8), tern: true, limits: limits)
            let split = try self.decodeRequests(Array(input.utf8), tern: true, split: true, limits: limits)
            XCTAssertEqual(whole, split, input)
        }
        XCTAssertFalse(try self.decodeRequests(Array(inputs[0].utf8), tern: true, limits: limits).contains("error"))
        XCTAssertTrue(try self.decodeRequests(Array(inputs[1].utf8), tern: true, limits: limits).contains("error"))
        XCTAssertTrue(try self.decodeRequests(Array(inputs[2].utf8), tern: true, limits: limits).contains("error"))
    }
}
