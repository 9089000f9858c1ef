import NIOCore
import NIOHTTP1
import TernCore

/// Reads one HTTP/1.1 request at a time, asks ``AdminResponder`` what to do and does it.
///
/// Sits behind NIO's server pipeline (which serializes pipelined requests), so at most one request is in flight
/// per connection. A body over ``AdminResponder/maxBodyBytes`` is answered with 413 and the connection closed.
final class AdminRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case reading(HTTPRequestHead, [UInt8])
        /// The body was too large or the client was refused: drop the rest, answer at the end.
        case discarding(HTTPRequestHead, AdminResponse, close: Bool)
        case responding
    }

    private let responder: AdminResponder
    private var state = State.idle
    private var active = true

    init(responder: AdminResponder) {
        self.responder = responder
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.active = false
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            let remote = context.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
            if let refusal = self.responder.admit(remote: remote) {
                self.state = .discarding(head, refusal, close: true)
            } else if let length = head.headers.first(name: "content-length").flatMap(Int.init),
                length > AdminResponder.maxBodyBytes
            {
                self.state = .discarding(head, AdminResponder.bodyTooLarge(), close: true)
            } else {
                self.state = .reading(head, [])
            }
        case .body(var buffer):
            switch self.state {
            case .reading(let head, var body):
                if body.count + buffer.readableBytes > AdminResponder.maxBodyBytes {
                    self.state = .discarding(head, AdminResponder.bodyTooLarge(), close: true)
                } else {
                    self.state = .responding  // drop the copy-on-write reference before appending
                    body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    self.state = .reading(head, body)
                }
            default:
                break
            }
        case .end:
            switch self.state {
            case .reading(let head, let body):
                self.state = .responding
                switch self.responder.action(head: head, body: body) {
                case .respond(let response):
                    self.send(response, for: head, close: false, context: context)
                case .purge(let request):
                    self.runPurge(request, for: head, context: context)
                }
            case .discarding(let head, let response, let close):
                self.state = .responding
                self.send(response, for: head, close: close, context: context)
            case .idle, .responding:
                break
            }
        }
    }

    private func runPurge(_ request: PurgeRequest, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        let backend = self.responder.backend
        let promise = context.eventLoop.makePromise(of: PurgeResult.self)
        promise.completeWithTask { await backend.purge(request) }
        promise.futureResult.assumeIsolated().whenSuccess { result in
            guard self.active else { return }
            self.send(AdminResponder.purgeResponse(result), for: head, close: false, context: context)
        }
    }

    private func send(_ response: AdminResponse, for head: HTTPRequestHead, close: Bool, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive && !close
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        context.write(self.wrapOutboundOut(.head(responseHead)), promise: nil)
        if head.method != .HEAD, !response.body.isEmpty {
            let buffer = context.channel.allocator.buffer(bytes: response.body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        self.state = .idle
        if keepAlive {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
