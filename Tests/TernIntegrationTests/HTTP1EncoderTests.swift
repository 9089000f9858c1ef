import NIOCore
import NIOEmbedded
import NIOHTTP1
@testable import TernProxy
import XCTest

/// Tern's lean HTTP/1.1 encoders must put the same bytes on the wire as NIO's encoders they
/// replace (differential tests over a table of messages), except where Tern is told a response
/// answers HEAD.
final class HTTP1EncoderTests: XCTestCase {
    private func encode<Part>(_ parts: [Part], with handler: any ChannelHandler) throws -> String {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        for part in parts {
            try channel.writeOutbound(part)
        }
        var out = ""
        while let buffer = try channel.readOutbound(as: IOData.self) {
            switch buffer {
            case .byteBuffer(let bytes): out += String(buffer: bytes)
            case .fileRegion: out += "<file>"
            }
        }
        _ = try channel.finish()
        return out
    }

    private let body = IOData.byteBuffer(ByteBuffer(string: "hello"))

    func testResponsesMatchNIO() throws {
        let cases: [(String, HTTPResponseHead, Bool)] = [
            ("length", HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Type": "text/plain", "Content-Length": "5", "Transfer-Encoding": "chunked"]), true),
            ("no length: chunked", HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Via": "1.1 tern", "ETag": "\"x\""]), true),
            ("already chunked", HTTPResponseHead(version: .http1_1, status: .ok, headers: ["transfer-encoding": "gzip", "X-A": "1", "Transfer-Encoding": "chunked"]), true),
            ("1.0 without length", HTTPResponseHead(version: .http1_0, status: .ok, headers: ["Connection": "close"]), true),
            ("304", HTTPResponseHead(version: .http1_1, status: .notModified, headers: ["Content-Length": "10", "ETag": "\"e\""]), false),
            ("204", HTTPResponseHead(version: .http1_1, status: .noContent, headers: ["transfer-encoding": "chunked"]), false),
            ("custom status", HTTPResponseHead(version: .http1_1, status: .custom(code: 299, reasonPhrase: "Fine"), headers: ["Content-Length": "5"]), true),
            ("no fields", HTTPResponseHead(version: .http1_1, status: .notFound), true),
            ("utf8 value", HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "5", "X-Name": "café ☕"]), true),
        ]
        for (name, head, withBody) in cases {
            var parts: [HTTPServerResponsePart] = [.head(head)]
            if withBody { parts += [.body(self.body), .body(.byteBuffer(ByteBuffer())), .body(self.body)] }
            parts.append(.end(withBody && name == "no length: chunked" ? ["X-Trailer": "t"] : nil))
            XCTAssertEqual(try self.encode(parts, with: ResponseEncoder()), try self.encode(parts, with: HTTPResponseEncoder()), name)
        }
        // 100-continue then the final response.
        let interim: [HTTPServerResponsePart] = [
            .head(HTTPResponseHead(version: .http1_1, status: .continue)),
            .head(HTTPResponseHead(version: .http1_1, status: .created)), .body(self.body), .end(nil),
        ]
        XCTAssertEqual(try self.encode(interim, with: ResponseEncoder()), try self.encode(interim, with: HTTPResponseEncoder()))
    }

    func testResponseToHEADKeepsFramingFieldsButNoBody() throws {
        let encoder = ResponseEncoder()
        encoder.nextResponseIsBodiless = true
        let wire = try self.encode([HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["ETag": "\"x\""])), .end(nil)], with: encoder)
        XCTAssertEqual(wire, "HTTP/1.1 200 OK\r\nETag: \"x\"\r\ntransfer-encoding: chunked\r\n\r\n")
        XCTAssertFalse(encoder.nextResponseIsBodiless, "the flag is consumed by the final head")
    }

    func testRequestsMatchNIO() throws {
        let cases: [(String, HTTPRequestHead, Bool)] = [
            ("GET", HTTPRequestHead(version: .http1_1, method: .GET, uri: "/a?b=c", headers: ["Host": "o", "X-Forwarded-For": "127.0.0.1"]), false),
            ("POST chunked", HTTPRequestHead(version: .http1_1, method: .POST, uri: "/form", headers: ["Host": "o"]), true),
            ("PUT with length", HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/x", headers: ["Content-Length": "10", "Transfer-Encoding": "chunked"]), true),
            ("DELETE chunked by the client", HTTPRequestHead(version: .http1_1, method: .DELETE, uri: "/x", headers: ["Transfer-Encoding": "chunked"]), true),
            ("TRACE", HTTPRequestHead(version: .http1_1, method: .TRACE, uri: "/", headers: ["Content-Length": "3"]), false),
            ("1.0 POST", HTTPRequestHead(version: .http1_0, method: .POST, uri: "/", headers: ["Host": "o"]), true),
            ("custom method", HTTPRequestHead(version: .http1_1, method: .RAW(value: "PURGE"), uri: "*", headers: [:]), false),
        ]
        for (name, head, withBody) in cases {
            var parts: [HTTPClientRequestPart] = [.head(head)]
            if withBody { parts += [.body(self.body), .body(self.body)] }
            parts.append(.end(nil))
            XCTAssertEqual(try self.encode(parts, with: RequestEncoder()), try self.encode(parts, with: HTTPRequestEncoder()), name)
        }
    }

    func testEndPromiseCompletesWithoutChunking() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ResponseEncoder())
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "0"])))
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: promise)
        XCTAssertNoThrow(try promise.futureResult.wait())
        _ = try channel.finish()
    }
}
