import NIOCore
import NIOHTTP1

/// What an upstream connection reports to the exchange currently using it.
protocol UpstreamDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The connection closed or failed before the exchange released it.
    func upstreamFailed(_ error: any Error)
}

/// The last handler of an upstream (origin) connection: parses the origin's responses
/// (`HTTP1Parser`), hands the parts straight to the current exchange, and lets it throttle reads
/// (backpressure towards the origin).
///
/// Parsing and encoding here rather than in codec handlers in front saves a pipeline hop and an
/// `NIOAny` cast per part; the methods of the requests written are known here too (a response to
/// `HEAD` has no body).
final class UpstreamHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The exchange using this connection; `nil` while idle in the pool.
    var delegate: (any UpstreamDelegate)?
    /// Called once when the channel goes inactive (the pool forgets the connection).
    var onClose: (() -> Void)?

    private var context: ChannelHandlerContext?
    private var parser: HTTP1Parser
    private let encoder = RequestEncoder()
    /// Bytes of an incomplete head or chunk line, waiting for more.
    private var pending: ByteBuffer?
    /// A parse error was reported: the connection is closing and its bytes are ignored.
    private var failed = false
    private var readsPaused = false
    private var readPending = false
    private(set) var isActive = true

    init(limits: HTTP1DecoderLimits = HTTP1DecoderLimits()) {
        self.parser = HTTP1Parser(kind: .response, limits: limits)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed else { return }
        var buffer = HTTP1Parser.joining(&self.pending, self.unwrapInboundIn(data))
        do {
            while let event = try self.parser.next(&buffer) {
                guard let delegate = self.delegate else {
                    // A response on an idle connection: the origin is confused; never reuse it.
                    self.failed = true
                    context.close(promise: nil)
                    return
                }
                switch event {
                case .responseHead(let head): delegate.upstreamReceived(.head(head))
                case .body(let bytes): delegate.upstreamReceived(.body(bytes))
                case .end(let trailers):
                    // Nothing may follow a response on a connection with no other request
                    // outstanding: bytes here mean the origin sent more than its framing said
                    // (e.g. a body longer than its Content-Length), so the body is suspect.
                    if buffer.readableBytes > 0, !Self.onlyLineBreaks(buffer) {
                        self.failed = true
                        self.errorCaught(context: context, error: OriginResponseLimitError(
                            description: "the origin sent \(buffer.readableBytes) bytes after the end of its response"
                        ))
                        return
                    }
                    delegate.upstreamReceived(.end(trailers))
                case .requestHead: preconditionFailure("a response parser produced a request head")
                }
                if self.failed || !self.isActive { return }
            }
        } catch {
            self.failed = true
            self.errorCaught(context: context, error: error)
            return
        }
        if buffer.readableBytes > 0 {
            guard self.delegate != nil else {
                // Bytes on an idle connection: the origin is confused; never reuse it.
                self.failed = true
                context.close(promise: nil)
                return
            }
            self.pending = buffer
        }
    }

    /// Whether `buffer` holds only CR and LF bytes (empty lines, which may precede a message).
    static func onlyLineBreaks(_ buffer: ByteBuffer) -> Bool {
        buffer.readableBytesView.allSatisfy { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isActive = false
        // A response without a length ends with the connection.
        if !self.failed, self.parser.endAtClose(), let delegate = self.delegate {
            delegate.upstreamReceived(.end(nil))
        }
        if let delegate = self.delegate {
            self.delegate = nil
            delegate.upstreamFailed(ChannelError.eof)
        }
        self.onClose?()
        self.onClose = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let delegate = self.delegate {
            self.delegate = nil
            delegate.upstreamFailed(error)
        }
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Called by the exchange

    func write(_ part: HTTPClientRequestPart) {
        guard let context = self.context else { return }
        if case .head(let head) = part { self.parser.requestSent(head.method) }
        self.encoder.encode(part, context: context, promise: nil)
    }

    func flush() {
        self.context?.flush()
    }

    func pauseReads() {
        self.readsPaused = true
    }

    func resumeReads() {
        guard self.readsPaused else { return }
        self.readsPaused = false
        if self.readPending {
            self.readPending = false
            self.context?.read()
        }
    }

    func close() {
        self.delegate = nil
        self.context?.close(promise: nil)
    }
}

/// One pooled connection to an origin member.
final class UpstreamConnection {
    let channel: any Channel
    let handler: UpstreamHandler
    /// The pool the connection belongs to (and must be released to).
    let pool: UpstreamConnectionPool
    /// Set once the connection has served a response and been returned to the pool.
    var reused = false
    var idleSince: NIODeadline = .now()

    init(channel: any Channel, handler: UpstreamHandler, pool: UpstreamConnectionPool) {
        self.channel = channel
        self.handler = handler
        self.pool = pool
    }
}
