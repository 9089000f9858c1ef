import NIOCore
import NIOHTTP1

/// Answers requests the parser rejects, then lets the connection close.
///
/// Like NIO's `HTTPServerProtocolErrorHandler`, but a header section over the configured limit
/// gets `431 Request Header Fields Too Large` (RFC 6585 §5) instead of a bare 400, and every error
/// response says `Connection: close`. Ambiguous framing (`Content-Length` with
/// `Transfer-Encoding`, differing repeated `Content-Length`, a bad chunk size) arrives here as a
/// parser error and is answered 400: smuggling attempts never reach an origin.
final class TernProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var responseInProgress = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let status: HTTPResponseStatus
        switch error {
        case HTTPParserError.headerOverflow:
            status = .requestHeaderFieldsTooLarge
        case is HTTPParserError:
            status = .badRequest
        case is ByteToMessageDecoderError.PayloadTooLargeError:
            status = .requestHeaderFieldsTooLarge
        default:
            context.fireErrorCaught(error)
            return
        }
        if !self.responseInProgress {
            let body = "\(status.code) \(status.reasonPhrase)\n"
            let headers = HTTPHeaders([
                ("Connection", "close"), ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", String(body.utf8.count)), ("Cache-Control", "no-store"),
            ])
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            var buffer = context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.close(promise: nil)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200:
            self.responseInProgress = true
        case .end:
            self.responseInProgress = false
        default:
            break
        }
        context.write(data, promise: promise)
    }
}
