import NIOCore
import NIOHTTP1
import TernWAF

/// Holds a response on a WAF route until the engine has judged its head (phase 3), then lets it
/// through or replaces it with the intervention's answer (Docs/security.md, "Phase 3").
///
/// It sits between `ProxyHandler` and the encoder, so every path that produces a response (origin,
/// cache, file origin, a coalesced fill) is covered at the one place a head goes out. `ProxyHandler`
/// hands it the request's live transaction through ``nextInspection`` just before writing the head;
/// everything written after that head (body, end, flushes, the next responses on the connection)
/// queues behind it in order until the verdict comes back from a WAF thread. While it holds,
/// ``onHold`` pauses the origin connection's reads, so a streaming body does not pile up here.
///
/// A blocked response: the head is replaced by the block page (intervention status, request id,
/// `Connection: close`); the original body is dropped as it arrives; at its end the page's body is
/// written and the connection closes. Only in the pipeline when the WAF is configured with
/// `inspect_response_headers`.
final class WAFResponseGate: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A response head waiting for phase 3.
    struct Inspection {
        var waf: WAFEngine
        var transaction: WAFTransactionHandle
        var requestID: String
        /// Called with the verdict (metrics), on the event loop.
        var onVerdict: (WAFResponseVerdict) -> Void
    }

    private enum Item {
        case part(HTTPServerResponsePart, EventLoopPromise<Void>?, Inspection?, bodiless: Bool)
        case flush
        case action((Int?) -> Void)
    }

    /// Set by `ProxyHandler` right before it writes a head that must be judged; taken by that head.
    var nextInspection: Inspection?
    /// Set by `ProxyHandler` right before it writes the head of a response to `HEAD`; travels with
    /// that head to the encoder (a held head may be followed by the next response's).
    var nextBodiless = false
    /// `true` when a response starts waiting for the WAF, `false` when it is released.
    var onHold: ((Bool) -> Void)?

    private let encoder: ResponseEncoder
    private var context: ChannelHandlerContext?
    private var queue = CircularBuffer<Item>()
    private var holding = false
    /// The status that replaced the response being written, while its original parts are dropped.
    private var replacement: (status: Int, body: String, bodiless: Bool)?
    /// The replacement status of the last head let through (`nil`: it passed).
    private var lastBlocked: Int?

    init(encoder: ResponseEncoder) {
        self.encoder = encoder
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        while let item = self.queue.popFirst() {
            if case .part(_, let promise, let inspection, _) = item {
                promise?.fail(ChannelError.ioOnClosedChannel)
                if let inspection { inspection.waf.finish(inspection.transaction) }
            }
        }
        if let inspection = self.nextInspection {
            self.nextInspection = nil
            inspection.waf.finish(inspection.transaction)
        }
    }

    /// Whether the status of the response currently being written may still change.
    var isHolding: Bool { self.holding || !self.queue.isEmpty }

    /// Runs `action` once everything written so far has gone through, with the replacement status of
    /// the last response head let through (`nil` when it passed). For the access log.
    func afterPending(_ action: @escaping (Int?) -> Void) {
        if self.isHolding {
            self.queue.append(.action(action))
        } else {
            action(self.lastBlocked)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = self.unwrapOutboundIn(data)
        var inspection: Inspection?
        var bodiless = false
        if case .head(let head) = part, head.status.code >= 200 || head.status.code == 101 {
            inspection = self.nextInspection
            bodiless = self.nextBodiless
            self.nextInspection = nil
            self.nextBodiless = false
        }
        if self.isHolding || inspection != nil {
            self.queue.append(.part(part, promise, inspection, bodiless: bodiless))
            self.drain()
        } else {
            self.forward(part, promise: promise, bodiless: bodiless)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if self.isHolding {
            self.queue.append(.flush)
        } else {
            context.flush()
        }
    }

    private func drain() {
        while !self.holding, let item = self.queue.popFirst() {
            switch item {
            case .flush:
                self.context?.flush()
            case .action(let action):
                action(self.lastBlocked)
            case .part(.head(let head), let promise, .some(let inspection), let bodiless):
                self.hold(head, promise: promise, inspection: inspection, bodiless: bodiless)
            case .part(let part, let promise, _, let bodiless):
                self.forward(part, promise: promise, bodiless: bodiless)
            }
        }
    }

    private func hold(_ head: HTTPResponseHead, promise: EventLoopPromise<Void>?, inspection: Inspection, bodiless: Bool) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            inspection.waf.finish(inspection.transaction)
            return
        }
        self.holding = true
        self.onHold?(true)
        let fields = head.headers.map { ($0.name, $0.value) }
        inspection.waf.inspectResponse(inspection.transaction, status: Int(head.status.code), headers: fields, on: context.eventLoop)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                self.holding = false
                guard self.context != nil else {
                    promise?.fail(ChannelError.ioOnClosedChannel)
                    return
                }
                var head = head
                if case .success(let verdict) = result {
                    inspection.onVerdict(verdict)
                    switch verdict.action {
                    case .pass:
                        break
                    case .deny(let status):
                        head = self.replace(head, status: status, body: "\(status) Response blocked\nRequest ID: \(inspection.requestID)\n",
                                            extra: [("X-Request-Id", inspection.requestID)], bodiless: bodiless)
                    case .redirect(let status, let url):
                        head = self.replace(head, status: status, body: "Redirect\n", extra: [("Location", url)], bodiless: bodiless)
                    }
                }
                // An engine failure lets the response through: the request already passed phases 1–2.
                if self.replacement == nil { self.lastBlocked = nil }
                self.encoder.nextResponseIsBodiless = bodiless
                self.context?.write(self.wrapOutboundOut(.head(head)), promise: promise)
                self.onHold?(false)
                self.drain()
            }
    }

    private func replace(_ head: HTTPResponseHead, status: Int, body: String, extra: [(String, String)], bodiless: Bool) -> HTTPResponseHead {
        self.replacement = (status, body, bodiless)
        self.lastBlocked = status
        let headers = HTTPHeaders([
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(body.utf8.count)),
            ("Cache-Control", "no-store"), ("Connection", "close"),
        ] + extra)
        return HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
    }

    private func forward(_ part: HTTPServerResponsePart, promise: EventLoopPromise<Void>?, bodiless: Bool) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if let replacement = self.replacement {
            switch part {
            case .head:
                break  // a later response on a connection that is closing: dropped below
            case .body:
                promise?.succeed(())
                return
            case .end:
                // The original response is over: finish the block page and close.
                self.replacement = nil
                if !replacement.bodiless {
                    context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: replacement.body)))), promise: nil)
                }
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                    context.close(promise: nil)
                }
                self.closing = true
                promise?.succeed(())
                return
            }
        }
        if self.closing {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        if case .head(let head) = part, head.status.code >= 200 || head.status.code == 101 {
            self.lastBlocked = nil
            self.encoder.nextResponseIsBodiless = bodiless
        }
        context.write(self.wrapOutboundOut(part), promise: promise)
    }

    /// After a block page: the connection closes, later responses are dropped.
    private var closing = false
}
