import NIOCore
import NIOHTTP1

/// Lean replacements for NIO's `HTTPResponseEncoder` (client side) and `HTTPRequestEncoder`
/// (upstream side), with the same framing rules (Docs/architecture.md, "HTTP/1.1 encoders").
///
/// NIO's encoders cost ~9k instructions per message head in a profile: framing fixes through
/// `HTTPHeaders.contains` / `remove`, then four `writeString` calls per field. These decide the
/// framing in one pass over the fields and copy the head into one buffer sized up front.
/// Bodies and ends are framed exactly as NIO does (chunked when the head says so).
enum HTTP1Framing {
    /// What a head's framing fields become and how its body is delimited.
    struct Plan: Equatable {
        /// Leave out every `Content-Length` field.
        var dropContentLength = false
        /// Leave out every `Transfer-Encoding` field.
        var dropTransferEncoding = false
        /// Append `transfer-encoding: chunked` (after dropping the others).
        var addChunked = false
        /// The body is sent with chunked coding.
        var chunked = false
    }

    /// NIO's `HTTPMethod.HasBody`.
    enum Body { case no, yes, unlikely }

    /// NIO's `correctlyFrameTransportHeaders`: `.no` strips both length fields; `.yes` keeps
    /// `Content-Length` (dropping `Transfer-Encoding`) or, on HTTP/1.1, makes the body chunked;
    /// `.unlikely` keeps `Content-Length` or honours an existing `Transfer-Encoding: chunked`.
    static func plan(body: Body, version: HTTPVersion, hasContentLength: Bool, firstTransferEncoding: String?) -> Plan {
        let http11 = version.major == 1 && version.minor >= 1
        var plan = Plan()
        switch body {
        case .no:
            plan.dropContentLength = true
            plan.dropTransferEncoding = true
        case .yes, .unlikely:
            if hasContentLength {
                plan.dropTransferEncoding = true
            } else if http11, body == .yes {
                plan.dropTransferEncoding = true
                plan.addChunked = true
                plan.chunked = true
            } else if http11 {
                plan.chunked = firstTransferEncoding == "chunked"
            }
        }
        return plan
    }

    /// NIO's `HTTPMethod.hasRequestBody`.
    static func requestBody(_ method: HTTPMethod) -> Body {
        switch method {
        case .TRACE: return .no
        case .POST, .PUT, .PATCH: return .yes
        default: return .unlikely
        }
    }

    /// Whether a response with this status may carry a body (RFC 9110 §15: not 1xx, 204, 304).
    static func responseMayHaveBody(_ status: HTTPResponseStatus) -> Bool {
        let code = status.code
        return !(code < 200 || code == 204 || code == 304)
    }

    // MARK: Serialisation

    /// The first line of a head.
    enum StartLine {
        /// `HTTP/1.1 200 OK`
        case status(HTTPVersion, HTTPResponseStatus)
        /// `GET /path HTTP/1.1`
        case request(HTTPMethod, String, HTTPVersion)
    }

    /// A head's bytes and framing plan: one pass over the fields finds the framing fields and the
    /// size, a second copies them.
    static func encodeHead(_ startLine: StartLine, body: Body, version: HTTPVersion, headers: HTTPHeaders, allocator: ByteBufferAllocator) -> (ByteBuffer, Plan) {
        var hasContentLength = false
        var firstTransferEncoding: String?
        var fieldsSize = 0
        for (name, value) in headers {
            let count = name.utf8.count
            fieldsSize += count + value.utf8.count + 4
            if count == 14, name.caseInsensitiveEquals("content-length") {
                hasContentLength = true
            } else if count == 17, firstTransferEncoding == nil, name.caseInsensitiveEquals("transfer-encoding") {
                firstTransferEncoding = value
            }
        }
        let plan = Self.plan(body: body, version: version, hasContentLength: hasContentLength, firstTransferEncoding: firstTransferEncoding)
        return (Self.head(startLine, headers: headers, plan: plan, fieldsSize: fieldsSize, allocator: allocator), plan)
    }

    /// The start line + the fields `plan` keeps (+ `transfer-encoding: chunked`) + CRLF, copied into
    /// one buffer sized up front (no per-piece `writeString`). `fieldsSize`: the bytes of all the
    /// field lines (dropped ones included; it only sizes the buffer).
    static func head(_ startLine: StartLine, headers: HTTPHeaders, plan: Plan, fieldsSize: Int, allocator: ByteBufferAllocator) -> ByteBuffer {
        let chunkedField = "transfer-encoding: chunked\r\n"
        let version: String
        var size = 2 + fieldsSize + (plan.addChunked ? chunkedField.utf8.count : 0)
        switch startLine {
        case .status(let v, let status):
            version = Self.versionString(v)
            size += version.utf8.count + 20 + status.reasonPhrase.utf8.count  // " " + code (≤ 6 digits) + " "
        case .request(let method, let uri, let v):
            version = Self.versionString(v)
            size += method.rawValue.utf8.count + uri.utf8.count + version.utf8.count + 4
        }
        var buffer = allocator.buffer(capacity: size)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            let base = raw.baseAddress!
            var at = 0
            @inline(__always) func byte(_ value: UInt8) {
                base.storeBytes(of: value, toByteOffset: at, as: UInt8.self)
                at += 1
            }
            switch startLine {
            case .status(_, let status):
                Self.copy(version, to: base, at: &at)
                byte(UInt8(ascii: " "))
                let code = Int(status.code)
                if (100...999).contains(code) {
                    byte(UInt8(truncatingIfNeeded: 0x30 + code / 100))
                    byte(UInt8(truncatingIfNeeded: 0x30 + (code / 10) % 10))
                    byte(UInt8(truncatingIfNeeded: 0x30 + code % 10))
                } else {
                    Self.copy(String(code).prefix(6).description, to: base, at: &at)
                }
                byte(UInt8(ascii: " "))
                Self.copy(status.reasonPhrase, to: base, at: &at)
            case .request(let method, let uri, _):
                Self.copy(method.rawValue, to: base, at: &at)
                byte(UInt8(ascii: " "))
                Self.copy(uri, to: base, at: &at)
                byte(UInt8(ascii: " "))
                Self.copy(version, to: base, at: &at)
            }
            byte(UInt8(ascii: "\r"))
            byte(UInt8(ascii: "\n"))
            for (name, value) in headers {
                if plan.dropContentLength || plan.dropTransferEncoding {
                    let count = name.utf8.count
                    if plan.dropContentLength, count == 14, name.caseInsensitiveEquals("content-length") { continue }
                    if plan.dropTransferEncoding, count == 17, name.caseInsensitiveEquals("transfer-encoding") { continue }
                }
                Self.copy(name, to: base, at: &at)
                byte(UInt8(ascii: ":"))
                byte(UInt8(ascii: " "))
                Self.copy(value, to: base, at: &at)
                byte(UInt8(ascii: "\r"))
                byte(UInt8(ascii: "\n"))
            }
            if plan.addChunked { Self.copy(chunkedField, to: base, at: &at) }
            byte(UInt8(ascii: "\r"))
            byte(UInt8(ascii: "\n"))
            return at
        }
        return buffer
    }

    @inline(__always)
    static func copy(_ string: String, to base: UnsafeMutableRawPointer, at offset: inout Int) {
        var string = string
        string.withUTF8 { utf8 in
            if let source = utf8.baseAddress, utf8.count > 0 {
                (base + offset).copyMemory(from: source, byteCount: utf8.count)
            }
            offset += utf8.count
        }
    }

    static func versionString(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): return "HTTP/1.1"
        case (1, 0): return "HTTP/1.0"
        default: return "HTTP/\(version.major).\(version.minor)"
        }
    }

    // MARK: Bodies (as NIO frames them)

    static func writeBody(_ chunk: IOData, chunked: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let size = chunk.readableBytes
        guard chunked, size > 0 else {
            // Empty chunks are not framed (they would end the body), but still written for the promise's order.
            context.write(NIOAny(chunk), promise: promise)
            return
        }
        var prefix = context.channel.allocator.buffer(capacity: 20)
        prefix.writeString(String(size, radix: 16))
        prefix.writeStaticString("\r\n")
        // Writes complete in order (a failure fails the ones after it): the last write's promise
        // stands for all three.
        context.write(NIOAny(IOData.byteBuffer(prefix)), promise: nil)
        context.write(NIOAny(chunk), promise: nil)
        prefix.moveReaderIndex(forwardBy: prefix.readableBytes - 2)
        context.write(NIOAny(IOData.byteBuffer(prefix)), promise: promise)
    }

    static func writeEnd(_ trailers: HTTPHeaders?, chunked: Bool, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if chunked {
            var buffer: ByteBuffer
            if let trailers {
                buffer = context.channel.allocator.buffer(capacity: 256)
                buffer.writeStaticString("0\r\n")
                for (name, value) in trailers {
                    buffer.writeString(name)
                    buffer.writeStaticString(": ")
                    buffer.writeString(value)
                    buffer.writeStaticString("\r\n")
                }
                buffer.writeStaticString("\r\n")
            } else {
                buffer = context.channel.allocator.buffer(capacity: 5)
                buffer.writeStaticString("0\r\n\r\n")
            }
            context.write(NIOAny(IOData.byteBuffer(buffer)), promise: promise)
        } else if let promise {
            // Nothing to write, but the promise must complete after the writes before it.
            context.write(NIOAny(IOData.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: promise)
        }
    }
}

/// The client side's response encoder (replaces NIO's `HTTPResponseEncoder`).
///
/// NIO's encoder learns from its paired request decoder which responses answer `HEAD`; here
/// `ProxyHandler` says so through ``nextResponseIsBodiless`` before it writes the head. Such a
/// response keeps its framing fields (what a `GET` would have carried) but gets no body bytes
/// and no chunked terminator.
final class ResponseEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = IOData

    /// Set by the handler before the final head of a response to `HEAD`; consumed by that head.
    var nextResponseIsBodiless = false
    private var suppressBody = false
    private var chunked = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head):
            let code = head.status.code
            if !(code >= 100 && code < 200 && code != 101) {
                // A final head (a non-final 1xx is followed by another head).
                self.suppressBody = self.nextResponseIsBodiless
                self.nextResponseIsBodiless = false
            }
            let body: HTTP1Framing.Body = HTTP1Framing.responseMayHaveBody(head.status) ? .yes : .no
            let (buffer, plan) = HTTP1Framing.encodeHead(
                .status(head.version, head.status), body: body, version: head.version, headers: head.headers, allocator: context.channel.allocator
            )
            self.chunked = self.suppressBody ? false : plan.chunked
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let chunk):
            if self.suppressBody {
                promise?.fail(NIOHTTPResponseEncoderError.responseBodyNotAllowed)
                return
            }
            HTTP1Framing.writeBody(chunk, chunked: self.chunked, context: context, promise: promise)
        case .end(let trailers):
            self.suppressBody = false
            HTTP1Framing.writeEnd(trailers, chunked: self.chunked, context: context, promise: promise)
        }
    }
}

/// The upstream side's request encoder (replaces NIO's `HTTPRequestEncoder`). `UpstreamHandler`
/// calls ``encode(_:context:promise:)`` itself (no pipeline hop); as a handler it serves tests.
final class RequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    private var chunked = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.encode(self.unwrapOutboundIn(data), context: context, promise: promise)
    }

    /// Writes `part`'s bytes as `IOData` to the handler before `context`.
    func encode(_ part: HTTPClientRequestPart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch part {
        case .head(let head):
            let (buffer, plan) = HTTP1Framing.encodeHead(
                .request(head.method, head.uri, head.version), body: HTTP1Framing.requestBody(head.method), version: head.version,
                headers: head.headers, allocator: context.channel.allocator
            )
            self.chunked = plan.chunked
            context.write(NIOAny(IOData.byteBuffer(buffer)), promise: promise)
        case .body(let chunk):
            HTTP1Framing.writeBody(chunk, chunked: self.chunked, context: context, promise: promise)
        case .end(let trailers):
            HTTP1Framing.writeEnd(trailers, chunked: self.chunked, context: context, promise: promise)
        }
    }
}
