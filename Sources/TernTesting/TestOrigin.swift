#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A scriptable HTTP/1.1 origin server listening on `127.0.0.1` with an ephemeral port.
///
/// Every complete request is recorded and handed to a handler that returns a
/// ``TestResponse`` script: a body (fixed, chunked or a large generated stream), an optional
/// delay, and an ``TestResponse/Action`` for failure modes (close, truncate, hang, garbage).
///
/// ```swift
/// let origin = try TestOrigin.start { request in
///     request.uri == "/big" ? .generated(totalBytes: 1 << 20) : .ok("hello")
/// }
/// defer { origin.stop() }
/// // point the proxy at origin.url / origin.port ...
/// XCTAssertEqual(origin.requestCount, 1)
/// ```
///
/// Behaviour worth knowing:
/// - The handler runs on the origin's event loop: it must not block (use
///   ``TestResponse/delayBeforeHead`` for slow answers).
/// - Pipelined requests are answered strictly in order, one at a time.
/// - A request with `Expect: 100-continue` gets an automatic `100 Continue` interim response.
/// - Framing headers are not rewritten: the script's own `Content-Length`/`Transfer-Encoding`
///   headers are sent verbatim (handy for feeding a proxy bad framing), and outbound header
///   validation is off.
/// - The connection is closed after a response when ``TestResponse/keepAlive`` is `false` or
///   the request asked for it; malformed requests get NIO's automatic `400` and a close.
///
/// All recorded state is thread-safe. Call ``stop()`` when done; it is idempotent.
public final class TestOrigin: Sendable {
    private let state: OriginState
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let serverChannel: any Channel

    /// The bound TCP port.
    public let port: Int

    /// `"http://127.0.0.1:PORT"`.
    public var url: String { "http://127.0.0.1:\(self.port)" }

    private init(state: OriginState, group: any EventLoopGroup, ownsGroup: Bool, serverChannel: any Channel, port: Int) {
        self.state = state
        self.group = group
        self.ownsGroup = ownsGroup
        self.serverChannel = serverChannel
        self.port = port
    }

    /// Starts an origin and waits until it is listening.
    ///
    /// - Parameters:
    ///   - group: An event loop group to run on (for example a test's shared group). When `nil`,
    ///     the origin creates a one-thread `MultiThreadedEventLoopGroup` of its own and shuts it
    ///     down in ``stop()``.
    ///   - handler: Called on the event loop once per complete request (body fully read);
    ///     returns the script for the answer. Must not block.
    /// - Returns: The running origin.
    /// - Throws: If binding fails or `group` cannot run a `ServerBootstrap`.
    public static func start(
        group: (any EventLoopGroup)? = nil,
        handler: @escaping @Sendable (TestRequest) -> TestResponse
    ) throws -> TestOrigin {
        let ownsGroup = group == nil
        let elg: any EventLoopGroup = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = OriginState(handler: handler)
        do {
            guard let bootstrap = ServerBootstrap(validatingGroup: elg) else {
                throw TestOriginError.unsupportedEventLoopGroup
            }
            let channel = try bootstrap
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.backlog, value: 256)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    guard let connectionID = state.register(channel) else {
                        return channel.close()
                    }
                    channel.closeFuture.whenComplete { _ in state.unregister(connectionID) }
                    var encoderConfiguration = HTTPResponseEncoder.Configuration()
                    encoderConfiguration.automaticallySetFramingHeaders = false
                    return channel.pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withErrorHandling: true,
                        withOutboundHeaderValidation: false,
                        withEncoderConfiguration: encoderConfiguration
                    ).flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(
                            TestOriginHandler(connectionID: connectionID, state: state)
                        )
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .wait()
            guard let port = channel.localAddress?.port else {
                channel.close(promise: nil)
                throw TestOriginError.noLocalAddress
            }
            return TestOrigin(state: state, group: elg, ownsGroup: ownsGroup, serverChannel: channel, port: port)
        } catch {
            if ownsGroup { try? elg.syncShutdownGracefully() }
            throw error
        }
    }

    /// Closes the listener and every open connection, then shuts down the origin's own event
    /// loop group (a group passed to ``start(group:handler:)`` is left running).
    ///
    /// Idempotent. Blocks until done, so it must not be called on an event loop thread.
    public func stop() {
        guard let channels = self.state.beginStop() else { return }
        try? self.serverChannel.close().wait()
        for channel in channels {
            try? channel.close().wait()
        }
        if self.ownsGroup {
            try? self.group.syncShutdownGracefully()
        }
    }

    /// A snapshot of every complete request received so far, in arrival order.
    public var requests: [TestRequest] { self.state.box.withLockedValue { $0.requests } }

    /// The most recent complete request, if any.
    public var lastRequest: TestRequest? { self.state.box.withLockedValue { $0.requests.last } }

    /// The number of complete requests received so far.
    public var requestCount: Int { self.state.box.withLockedValue { $0.requests.count } }

    /// The number of TCP connections accepted so far.
    public var connectionsAccepted: Int { self.state.box.withLockedValue { $0.connectionsAccepted } }

    /// The number of accepted connections not yet closed.
    public var openConnections: Int { self.state.box.withLockedValue { $0.open.count } }
}

/// Errors thrown by ``TestOrigin/start(group:handler:)``.
public enum TestOriginError: Error, Sendable {
    /// The event loop group cannot be used with NIOPosix's `ServerBootstrap`.
    case unsupportedEventLoopGroup
    /// The listener has no local address after binding.
    case noLocalAddress
}

/// State shared by the origin object and its connection handlers.
final class OriginState: Sendable {
    struct Inner {
        var requests: [TestRequest] = []
        var connectionsAccepted = 0
        var open: [Int: any Channel] = [:]
        var stopped = false
    }

    let box = NIOLockedValueBox(Inner())
    let handler: @Sendable (TestRequest) -> TestResponse

    init(handler: @escaping @Sendable (TestRequest) -> TestResponse) {
        self.handler = handler
    }

    /// Returns the new connection's 1-based id, or `nil` when the origin is stopping.
    func register(_ channel: any Channel) -> Int? {
        self.box.withLockedValue { s in
            guard !s.stopped else { return nil }
            s.connectionsAccepted += 1
            s.open[s.connectionsAccepted] = channel
            return s.connectionsAccepted
        }
    }

    func unregister(_ id: Int) {
        self.box.withLockedValue { _ = $0.open.removeValue(forKey: id) }
    }

    func record(_ request: TestRequest) {
        self.box.withLockedValue { $0.requests.append(request) }
    }

    /// Marks the origin stopped; returns the connections to close, or `nil` if already stopped.
    func beginStop() -> [any Channel]? {
        self.box.withLockedValue { s in
            guard !s.stopped else { return nil }
            s.stopped = true
            return Array(s.open.values)
        }
    }
}

/// Per-connection handler: collects a request, asks the script, plays it back.
final class TestOriginHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let connectionID: Int
    private let state: OriginState
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Set once the connection is going to close; later pipelined requests are ignored.
    private var closing = false

    init(connectionID: Int, state: OriginState) {
        self.connectionID = connectionID
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body = []
            if head.version == .http1_1, !self.closing,
                head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" })
            {
                let interim = HTTPResponseHead(version: .http1_1, status: .continue)
                context.writeAndFlush(self.wrapOutboundOut(.head(interim)), promise: nil)
            }
        case .body(var buffer):
            if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                self.body.append(contentsOf: bytes)
            }
        case .end:
            guard let head = self.head, !self.closing else { return }
            self.head = nil
            let request = TestRequest(
                method: head.method.rawValue,
                uri: head.uri,
                version: "HTTP/\(head.version.major).\(head.version.minor)",
                headers: head.headers.map { (name: $0.name, value: $0.value) },
                body: self.body,
                connectionID: self.connectionID
            )
            self.body = []
            self.state.record(request)
            let response = self.state.handler(request)
            if response.delayBeforeHead > .zero {
                context.eventLoop.assumeIsolated().scheduleTask(in: response.delayBeforeHead) {
                    self.perform(response, for: head, context: context)
                }
            } else {
                self.perform(response, for: head, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    // MARK: Playing the script

    private func perform(_ response: TestResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch response.action {
        case .hang:
            return
        case .closeWithoutResponse:
            self.closing = true
            context.close(promise: nil)
        case .invalidResponse:
            self.closing = true
            self.writeRaw(Array("HTTP/1.1 abc\r\n\r\n".utf8), context: context)
        case .abortAfterBodyBytes(let count):
            self.closing = true
            let all = response.allBodyBytes
            var headers = HTTPHeaders(response.headers)
            if !headers.contains(name: "content-length") {
                headers.add(name: "Content-Length", value: String(all.count))
            }
            context.write(self.wrapOutboundOut(.head(self.responseHead(response, headers: headers))), promise: nil)
            let prefix = Array(all.prefix(max(0, count)))
            if !prefix.isEmpty {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: prefix)))), promise: nil)
            }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer()))))
                .assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        case .raw(let bytes, let ending):
            self.closing = true
            self.writeRaw(bytes, context: context, then: ending)
        case .respond:
            self.respond(response, for: request, context: context)
        }
    }

    private func respond(_ response: TestResponse, for request: HTTPRequestHead, context: ChannelHandlerContext) {
        let status = response.status
        let statusForbidsBody = (100..<200).contains(status) || status == 204 || status == 304
        let sendsBody = !statusForbidsBody && request.method != .HEAD
        let closeAfter = !response.keepAlive || !request.isKeepAlive
        if closeAfter { self.closing = true }

        var headers = HTTPHeaders(response.headers)
        let hasFraming = headers.contains(name: "content-length") || headers.contains(name: "transfer-encoding")
        if closeAfter && !headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
            headers.add(name: "Connection", value: "close")
        }

        // Decide the body source and framing headers.
        var chunks: [[UInt8]] = []
        var generator: (total: Int, chunkSize: Int)?
        var interval = TimeAmount.zero
        switch response.body {
        case .bytes(let bytes):
            if !hasFraming && request.method != .HEAD && !statusForbidsBody {
                headers.add(name: "Content-Length", value: String(bytes.count))
            }
            if !bytes.isEmpty { chunks = [bytes] }
        case .chunked(let parts, let gap):
            if !hasFraming && !statusForbidsBody {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            }
            chunks = parts.filter { !$0.isEmpty }
            interval = gap
        case .generated(let total, let chunkSize, let gap, let useContentLength):
            if !hasFraming && !statusForbidsBody {
                if useContentLength {
                    headers.add(name: "Content-Length", value: String(total))
                } else {
                    headers.add(name: "Transfer-Encoding", value: "chunked")
                }
            }
            generator = (max(0, total), max(1, chunkSize))
            interval = gap
        }

        context.write(self.wrapOutboundOut(.head(self.responseHead(response, headers: headers))), promise: nil)

        let next: () -> [UInt8]?
        if !sendsBody {
            next = { nil }
        } else if let generator {
            var offset = 0
            next = {
                guard offset < generator.total else { return nil }
                let n = min(generator.chunkSize, generator.total - offset)
                defer { offset += n }
                return TestResponse.patternBytes(offset: offset, count: n)
            }
        } else {
            var iterator = chunks.makeIterator()
            next = { iterator.next() }
        }

        self.stream(next: next, interval: interval, immediate: true, context: context) { ok in
            guard ok else {
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
                .assumeIsolated()
                .whenComplete { _ in
                    if closeAfter { context.close(promise: nil) }
                }
        }
    }

    /// Writes chunks one at a time, each only after the previous write completed (backpressure),
    /// sleeping `interval` between chunks; then calls `done(true)`, or `done(false)` on failure.
    private func stream(
        next: @escaping () -> [UInt8]?,
        interval: TimeAmount,
        immediate: Bool,
        context: ChannelHandlerContext,
        done: @escaping (Bool) -> Void
    ) {
        guard context.channel.isActive else { return done(false) }
        guard let bytes = next() else { return done(true) }
        let writeChunk = {
            guard context.channel.isActive else { return done(false) }
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))))
                .assumeIsolated()
                .whenComplete { result in
                    switch result {
                    case .success:
                        // Writes that complete synchronously would recurse once per chunk:
                        // continue from a fresh stack frame on the event loop instead.
                        context.eventLoop.assumeIsolated().execute {
                            self.stream(next: next, interval: interval, immediate: false, context: context, done: done)
                        }
                    case .failure:
                        done(false)
                    }
                }
        }
        if immediate || interval <= .zero {
            writeChunk()
        } else {
            context.eventLoop.assumeIsolated().scheduleTask(in: interval) { writeChunk() }
        }
    }

    private func responseHead(_ response: TestResponse, headers: HTTPHeaders) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
    }

    /// Writes bytes underneath the HTTP encoder, then closes the connection (or resets it, or leaves it open).
    private func writeRaw(_ bytes: [UInt8], context: ChannelHandlerContext, then ending: TestResponse.RawEnding = .close) {
        let buffer = ByteBuffer(bytes: bytes)
        guard let encoderContext = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
        else {
            context.close(promise: nil)
            return
        }
        encoderContext.writeAndFlush(NIOAny(IOData.byteBuffer(buffer)))
            .assumeIsolated()
            .whenComplete { _ in
                switch ending {
                case .close:
                    context.close(promise: nil)
                case .reset:
                    // SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                    if let provider = context.channel as? any SocketOptionProvider {
                        provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).hop(to: context.eventLoop)
                            .assumeIsolated()
                            .whenComplete { _ in context.close(promise: nil) }
                    } else {
                        context.close(promise: nil)
                    }
                case .hang:
                    break
                }
            }
    }
}
