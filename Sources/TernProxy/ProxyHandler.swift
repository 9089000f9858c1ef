import NIOCore
import NIOHTTP1
import TernBalancer
import NIOPosix
import TernConfig
import TernFileOrigin
import TernAdmin
import TernCore
import TernPolicy
import TernCompression
import TernWAF

/// Sent down a connection's pipeline when the server starts draining: finish the current
/// response, then close.
public struct DrainConnectionEvent: Sendable {
    public init() {}
}

/// The per-connection request handler: routes each request, forwards it to an origin member
/// (or the file origin) and streams the response back with backpressure both ways.
///
/// Requests on a connection are serialised by `HTTPServerPipelineHandler`, so the handler keeps
/// exactly one exchange's state at a time. Both this connection and the upstream connection it
/// borrows live on the same event loop, so no state here is shared across threads.
final class ProxyHandler: ChannelDuplexHandler, UpstreamConnectionRequester, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum Phase {
        /// Waiting for a request head.
        case idle
        /// Buffering the request body for the WAF (phase 2 needs it).
        case wafBuffering
        /// The WAF is inspecting the request; reads are paused.
        case wafInspecting
        /// Waiting for a disk-tier lookup; body parts are buffered (reads are paused).
        case lookingUp
        /// Waiting on another request's fetch of the same object (cache lock).
        case waitingForFill
        /// Streaming another request's fetch to this client (read-while-writer).
        case fromFill
        /// Waiting for an upstream connection; body parts are buffered (reads are paused).
        case connecting
        /// Request forwarded (or being forwarded) on `connection`.
        case forwarding
        /// Serving from the file origin once the request ends.
        case file(Int)
        /// A locally generated response is sent when the request ends (body discarded).
        case localDeferred(HTTPResponseStatus, String, HTTPHeaders)
        /// The response is being written; remaining request body is discarded.
        case finishing
    }

    let loop: LoopContext
    let runtime: ProxyRuntime
    let limits: LimitsConfig
    var context: ChannelHandlerContext!
    var peerAddress = "-"
    var peerTrusted = false
    var peerIP: IPAddress?
    /// Which configured listener accepted the connection (for its access list).
    let listenerIndex: Int

    // Connection state.
    var requestsOnConnection = 0
    /// Between `channelRead` and `channelReadComplete` of the client connection.
    var inClientRead = false
    /// The client half-closed its side: no more requests will come.
    var inputClosed = false
    /// From a request head until its response's `.end` is written.
    var responseInProgress = false
    /// Parts of requests pipelined behind the one being answered.
    var pipelined = CircularBuffer<HTTPServerRequestPart>()
    var pipelinePaused = false
    var processingPipelined = false
    /// The current response ends the connection: later requests are ignored.
    var closingAfterResponse = false
    /// The request target as the client sent it, when canonicalisation changed it (access log).
    var rawTarget: String?
    /// The request's fields as the client sent them, when Tern removed some (`_` names, the route's
    /// strip list) before forwarding: the WAF judges what the client sent (CRS looks for `X_Filename`).
    var receivedFields: HTTPHeaders?
    /// A parse error that waits for the responses to the complete requests ahead of it.
    var deferredParseError: HTTPResponseStatus?
    var draining = false
    var readPaused = false
    var readPending = false
    lazy var clientTimer = LazyTimer(eventLoop: self.loop.eventLoop) { [weak self] in self?.clientTimedOut() }
    lazy var upstreamTimer = LazyTimer(eventLoop: self.loop.eventLoop) { [weak self] in self?.upstreamTimedOut() }
    var clientTimerPurpose: ClientTimerPurpose = .none
    enum ClientTimerPurpose { case none, awaitingHead, requestBody }

    // Exchange state (reset per request).
    var phase: Phase = .idle
    var requestHead: HTTPRequestHead?
    var upstreamHead: HTTPRequestHead?
    var keepAlive = true
    var requestEnded = false
    var requestHasBody = false
    var requestBodyBytes: Int64 = 0
    var pendingBody = CircularBuffer<HTTPClientRequestPart>()
    var poolIndex = 0
    var member: OriginMember?
    var connection: UpstreamConnection?
    var retriedStale = false
    var retriedOther = false
    var responseStarted = false
    var responseStatus = 0
    var responseBytes = 0
    var upstreamKeepAlive = false
    /// The status of the origin response being forwarded (passive health counts 5xx when configured).
    var upstreamStatus = 200
    /// A small response being stored, held back until its body is complete so that its
    /// `Cache-Status` says `stored` only when it was (and a truncated one becomes a clean 502).
    var heldHead: (status: HTTPResponseStatus, headers: HTTPHeaders, request: HTTPRequestHead)?
    var heldBody: [ByteBuffer] = []
    var exchangeStart = NIODeadline.uptimeNanoseconds(0)
    var upstreamStart: NIODeadline?
    var upstreamMicros: Int64?
    var inFlightCounted = false
    /// Incremented per request so late callbacks (disk lookups) can tell they are stale.
    var exchangeID = 0
    /// Cache state when the route caches.
    var cache: CacheExchange?
    /// A status the cache layer substitutes for the origin's (304/412/206 evaluated locally).
    var cacheOverrideStatus: HTTPResponseStatus?
    /// When the request was sent upstream (ms since epoch), for RFC 9111 age calculation.
    var upstreamRequestMillis: Int64?
    /// Where a waiter goes if it ends up fetching on its own.
    var waitingTarget: (RequestTarget, Bool)?
    /// The client disconnected but this exchange keeps filling the cache for others.
    var clientGone = false {
        didSet { if oldValue, !self.clientGone, self.removedFromPipeline { self.scheduleDetach() } }
    }
    /// `handlerRemoved` ran: the connection is gone (see ``detachIfDone()``).
    var removedFromPipeline = false
    /// Security filters: the client identity used by ACL, rate limits, WAF and logs; the
    /// filters' outcome for the access log; the request id; a request waiting on the WAF; the
    /// WAF transaction to finish after the response.
    var clientIdentity: String?
    var securityOutcome: String?
    var requestID: String?
    var admission: PendingAdmission?
    var wafTransaction: WAFTransactionHandle?
    /// Decodes the origin's content coding for a client that doesn't accept it.
    var clientDecoder: StreamingDecoder?
    /// Compresses a response that is not stored, for a client that accepts br or gzip.
    var clientEncoder: StreamingEncoder?

    /// The connection's latest raw read, when the WAF is configured (for refused requests).
    let capture: RawRequestCapture?

    /// The connection's response encoder, told which responses answer `HEAD` (no body bytes).
    let encoder: ResponseEncoder?

    /// Holds responses on WAF routes for phase 3 (when `waf.inspect_response_headers`).
    let gate: WAFResponseGate?

    init(loop: LoopContext, listenerIndex: Int = 0, capture: RawRequestCapture? = nil, encoder: ResponseEncoder? = nil, gate: WAFResponseGate? = nil) {
        self.listenerIndex = listenerIndex
        self.capture = capture
        self.encoder = encoder
        self.gate = gate
        self.loop = loop
        self.runtime = loop.runtime
        self.limits = loop.runtime.configuration.limits
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        // While the gate holds a response for the WAF, the origin's body waits in the socket.
        self.gate?.onHold = { [weak self] holding in
            guard let self, let connection = self.connection else { return }
            if holding {
                connection.handler.pauseReads()
            } else if self.context.channel.isWritable {
                connection.handler.resumeReads()
            }
        }
        if let address = context.channel.remoteAddress?.ipAddress {
            self.peerAddress = address
            self.peerTrusted = self.runtime.isTrusted(address)
            self.peerIP = IPAddress(address)
        }
        self.armAwaitingHead(first: true)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.removedFromPipeline = true
        self.clientTimer.cancel()
        if !self.clientGone { self.upstreamTimer.cancel() }
        self.detachIfDone()
    }

    /// Once the handler is out of the pipeline and no exchange continues without its client, drops
    /// the exchange state and the context.
    ///
    /// The handler keeps its `ChannelHandlerContext`, and the context keeps its handler: until one
    /// side lets go, neither is freed — nor anything the handler still refers to. The last exchange
    /// of a closed connection kept its whole `CacheFill` (every body chunk of the object it fetched),
    /// so each closed connection that had filled a 1 MiB object kept ~1 MiB (issue 13).
    /// Late callbacks (disk lookup, WAF, purge, file open) see a new `exchangeID` and return.
    func detachIfDone() {
        guard self.removedFromPipeline, !self.clientGone, self.context != nil else { return }
        self.resetExchange()
        self.exchangeID &+= 1
        self.requestHead = nil
        self.pipelined.removeAll()
        self.gate?.onHold = nil
        self.context = nil
    }

    /// Detaches on the next loop turn: the exchange that just ended may still use the context
    /// further up the stack.
    func scheduleDetach() {
        self.loop.eventLoop.execute { self.detachIfDone() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.abortExchange()
        self.clientTimer.cancel()
        if !self.clientGone { self.upstreamTimer.cancel() }
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            // The client half-closed after sending: answer what it sent, then close.
            self.inputClosed = true
            if case .idle = self.phase, !self.responseInProgress, self.pipelined.isEmpty {
                context.close(promise: nil)
            }
            return
        }
        if let announced = event as? ProxyProtocolAddressEvent {
            // The load balancer's PROXY header names the real client.
            if let source = announced.source {
                self.peerIP = source
                self.peerAddress = source.description
                self.peerTrusted = self.runtime.isTrusted(self.peerAddress)
            }
            return
        }
        if event is DrainConnectionEvent {
            self.draining = true
            if case .idle = self.phase, !self.responseInProgress {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Requests the parser rejects get `400` (or `431` for an oversized header section, RFC 6585
    /// §5) and the connection closes. Ambiguous framing (`Content-Length` with
    /// `Transfer-Encoding`, differing `Content-Length`s, a bad chunk size) arrives here as a parser
    /// error, so smuggling attempts never reach an origin. Other errors just close.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let status: HTTPResponseStatus
        switch error {
        case HTTPParserError.headerOverflow:
            status = .requestHeaderFieldsTooLarge
        case is HTTP1URITooLongError:
            status = .uriTooLong
        case is HTTP1UnsupportedTransferCodingError:
            status = .notImplemented
        case is HTTPParserError:
            status = .badRequest
            // A head the parser refused at the start of a read: the WAF judges it for the audit log.
            if !self.responseInProgress, let raw = self.capture?.last, let refused = RefusedRequestHead(raw: raw) {
                let host = refused.headers.first(where: { $0.0.caseInsensitiveEquals("host") })?.1
                self.auditRefusal(.badRequest, method: refused.method, uri: refused.uri, version: refused.version, headers: refused.headers, host: host)
            }
        default:
            context.close(promise: nil)
            return
        }
        if self.responseInProgress && self.requestEnded && !self.clientGone {
            // Complete requests ahead of the broken one are answered first, in order (RFC 9112 §9.3.2,
            // as nginx does); the error follows them. Parts of a request the error cut short go.
            if let lastHead = self.pipelined.lastIndex(where: { if case .head = $0 { true } else { false } }),
               !self.pipelined[lastHead...].contains(where: { if case .end = $0 { true } else { false } }) {
                self.pipelined.removeSubrange(lastHead...)
            }
            self.deferredParseError = status
            return
        }
        self.sendParseError(status)
    }

    /// Answers a request the parser refused (after any complete requests ahead of it) and closes.
    func sendParseError(_ status: HTTPResponseStatus) {
        let context = self.context!
        self.deferredParseError = nil
        self.closingAfterResponse = true
        self.pipelined.removeAll()
        if self.responseInProgress {
            guard !self.responseStarted, !self.clientGone else {
                // Part of a response is out: closing is all that's left.
                if !self.clientGone { context.close(promise: nil) }
                return
            }
            // The request broke mid-way (e.g. a bad chunk): abandon whatever it started upstream.
            self.leaveFill()
            self.releaseCacheLock(.failed)
            if let connection = self.connection {
                connection.handler.close()
                self.releaseConnection(reusable: false, recordSuccess: false)
            }
            self.phase = .finishing
        }
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
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.connection?.handler.resumeReads()
        } else {
            self.connection?.handler.pauseReads()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if self.readPaused || self.pipelinePaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    func pauseClientReads() {
        self.readPaused = true
    }

    func resumeClientReads() {
        guard self.readPaused else { return }
        self.readPaused = false
        if self.readPending, !self.pipelinePaused {
            self.readPending = false
            self.context.read()
        }
    }

    /// Pipelining (RFC 9112 §9.3.2): a request that arrives while the previous response is still
    /// being produced waits in `pipelined` and is processed once that response has ended.
    ///
    /// This replaces NIO's `HTTPServerPipelineHandler`, which stops reading from the socket for
    /// every in-flight request and so costs two `epoll_ctl` calls per request even when the client
    /// never pipelines. Here reads stop only when the queue grows past `maxPipelined`.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.clientPart(self.unwrapInboundIn(data))
    }

    /// A request part from the client: through the pipeline (HTTP/2 streams), or straight from
    /// the HTTP/1.1 `RequestDecoder` in front (no `NIOAny` box and cast per part).
    func clientPart(_ part: HTTPServerRequestPart) {
        self.inClientRead = true
        if self.closingAfterResponse { return }
        if !self.pipelined.isEmpty || (self.responseInProgress && self.requestEnded) {
            self.pipelined.append(part)
            if self.pipelined.count > Self.maxPipelined { self.pipelinePaused = true }
            return
        }
        self.process(part)
    }

    static let maxPipelined = 64

    func process(_ part: HTTPServerRequestPart) {
        switch part {
        case .head(let head):
            self.responseInProgress = true
            self.receivedHead(head)
        case .body(let buffer):
            self.receivedBody(buffer)
        case .end:
            self.receivedEnd()
        }
    }

    /// Processes queued pipelined parts until a request is again waiting for its response.
    func processPipelined() {
        guard !self.processingPipelined else { return }
        self.processingPipelined = true
        defer { self.processingPipelined = false }
        while !self.closingAfterResponse, !(self.responseInProgress && self.requestEnded), let part = self.pipelined.popFirst() {
            self.process(part)
        }
        if self.pipelinePaused, self.pipelined.count <= Self.maxPipelined / 2 {
            self.pipelinePaused = false
            if !self.readPaused, self.readPending {
                self.readPending = false
                self.context.read()
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // One upstream flush per client read cycle covers every part forwarded during it.
        self.inClientRead = false
        if case .forwarding = self.phase {
            self.connection?.handler.flush()
        }
        context.fireChannelReadComplete()
    }

    // MARK: Request

    func receivedHead(_ received: HTTPRequestHead) {
        var head = received
        self.resetExchange()
        self.exchangeID &+= 1
        let now = NIODeadline.now()
        self.exchangeStart = now
        self.requestHead = head
        self.requestsOnConnection += 1
        self.runtime.stats.requests.wrappingIncrement(ordering: .relaxed)
        self.clientTimerPurpose = .none
        self.clientTimer.deadline = nil

        let maxRequests = self.limits.maxRequestsPerConnection
        self.keepAlive = ProxyHeaders.isKeepAlive(head.headers, version: head.version) && !self.draining
            && (maxRequests == 0 || self.requestsOnConnection < maxRequests)

        // One pass over the fields for what routing and limits need.
        var contentLength: Int64?
        var hasTransferEncoding = false
        var hostCount = 0
        var hostValue: String?
        var expect: String?
        var authorizations = 0
        var underscoreNames = false
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 4 where name.caseInsensitiveEquals("host"):
                hostCount += 1
                if hostValue == nil { hostValue = value }
            case 6 where name.caseInsensitiveEquals("expect"):
                expect = value
            case 13 where name.caseInsensitiveEquals("authorization"):
                authorizations += 1
            case 14 where name.caseInsensitiveEquals("content-length"):
                if contentLength == nil { contentLength = Int64(value) }
            case 17 where name.caseInsensitiveEquals("transfer-encoding"):
                hasTransferEncoding = true
            default:
                break
            }
            if name.utf8.contains(UInt8(ascii: "_")) { underscoreNames = true }
        }
        self.requestHasBody = (contentLength ?? 0) > 0 || hasTransferEncoding
        if self.requestHasBody {
            self.clientTimerPurpose = .requestBody
            self.clientTimer.deadline = now + TimeAmount(self.limits.bodyIdleTimeout)
        }

        // Limits and validity (RFC 9112 §3, §3.2).
        if head.uri.utf8.count > Int(self.limits.maxURIBytes.bytes) {
            return self.respondLocally(.uriTooLong, "URI too long\n", closing: true)
        }
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1. An empty one names no authority to route by
        // (nginx refuses it too). Refusals before the WAF are still shown to it, for the audit log.
        if hostCount > 1 || (hostCount == 0 && head.version.major == 1 && head.version.minor >= 1) {
            return self.refuse(.badRequest, "Bad request: exactly one Host header is required\n", closing: self.requestHasBody, head: head, host: hostValue)
        }
        if let hostValue, hostValue.isEmpty {
            return self.refuse(.badRequest, "Bad request: empty Host header\n", closing: self.requestHasBody, head: head, host: nil)
        }
        if let max = self.limits.maxRequestBody, let contentLength, contentLength > max.bytes {
            return self.respondLocally(.payloadTooLarge, "Request body too large\n", closing: true)
        }
        var expectContinue = false
        if let expect {
            guard expect.caseInsensitiveEquals("100-continue") else {
                return self.respondLocally(.expectationFailed, "Unsupported expectation\n", closing: true)
            }
            expectContinue = head.version.major == 1 && head.version.minor >= 1
        }
        if head.method == .CONNECT {
            // RFC 9112 §3.2.3: authority-form is host:port; anything else is a bad request.
            guard RequestTarget.isAuthorityForm(head.uri) else {
                return self.refuse(.badRequest, "Bad request target\n", closing: true, head: head, host: hostValue)
            }
            return self.refuse(.methodNotAllowed, "CONNECT is not supported\n", closing: true, head: head, host: hostValue)
        }
        guard let parsed = RequestTarget(uri: head.uri) else {
            return self.refuse(.badRequest, "Bad request target\n", closing: self.requestHasBody, head: head, host: hostValue)
        }
        // RFC 9110 §11.6.2: Authorization is a singleton; which of two would the origin believe?
        if authorizations > 1 {
            return self.refuse(.badRequest, "Bad request: more than one Authorization field\n", closing: self.requestHasBody, head: head, host: hostValue)
        }
        // One canonical request from here on: routing, filters, the cache key, the log and the
        // origin all see this spelling (Docs/security.md, "Canonical requests").
        let canonical: CanonicalRequest
        do {
            canonical = try CanonicalRequest.make(target: parsed, hostField: hostValue, options: self.runtime.canonicalization[self.listenerIndex])
        } catch {
            return self.refuse(.badRequest, "Bad request: \(error.reason)\n", closing: self.requestHasBody, head: head, host: hostValue)
        }
        let received = head.headers
        var removedFields = false
        if underscoreNames {
            switch self.limits.underscoresInHeaders {
            case .drop:
                head.headers = HTTPHeaders(head.headers.filter { !$0.name.utf8.contains(UInt8(ascii: "_")) })
                removedFields = true
            case .reject:
                return self.refuse(.badRequest, "Bad request: header field names may not contain '_'\n", closing: self.requestHasBody, head: head, host: hostValue)
            case .keep: break
            }
        }
        if parsed.host != nil || canonical.path != parsed.path || canonical.query != parsed.query {
            self.rawTarget = head.uri
            head.uri = canonical.originForm
        }
        if let authority = canonical.authority, authority != hostValue {
            head.headers.replaceOrAdd(name: "Host", value: authority)
        }
        let target = RequestTarget(path: canonical.path, query: canonical.query, host: nil)
        let host = canonical.authority
        if head.method == .PURGE, let purgeMethod = self.runtime.configuration.admin?.purgeMethod, purgeMethod.enabled {
            self.requestHead = head
            return self.purgeFromDataListener(target: target, host: host ?? "", allow: purgeMethod.allow)
        }
        guard let routeIndex = self.runtime.routeTable.match(host: host, path: target.path) else {
            self.requestHead = head
            return self.respondLater(.notFound, "No route for this request\n")
        }
        // Fields the origin may act on but the key does not hold (Docs/security.md, "Cache poisoning").
        let countBeforeStrip = head.headers.count
        self.runtime.strippedRequestFields[routeIndex].remove(from: &head.headers)
        if removedFields || head.headers.count != countBeforeStrip { self.receivedFields = received }
        self.requestHead = head
        self.admit(head: head, target: target, host: host, routeIndex: routeIndex, expectContinue: expectContinue, now: now)
    }

    /// Sends an admitted request to its route: the file origin, or an HTTP pool (through the
    /// cache when the route caches).
    func dispatch(head: HTTPRequestHead, target: RequestTarget, host: String?, routeIndex: Int, expectContinue: Bool, now: NIODeadline) {
        switch self.runtime.routeTargets[routeIndex] {
        case .file(let index):
            if expectContinue, self.requestHasBody {
                // The file origin never reads a body: refuse it rather than invite it.
                return self.respondLocally(.methodNotAllowed, "Method not allowed\n", closing: true, extra: [("Allow", "GET, HEAD")])
            }
            self.phase = .file(index)
        case .pool(let index):
            self.poolIndex = index
            if let cache = self.runtime.cache, let route = self.runtime.routeCache[routeIndex] {
                self.startCachedRequest(head: head, target: target, host: host, routeIndex: routeIndex, route: route, cache: cache, expectContinue: expectContinue, now: now)
            } else {
                self.startForwarding(head: head, target: target, hashKey: head.uri, expectContinue: expectContinue, now: now)
            }
        }
    }

    func receivedBody(_ buffer: ByteBuffer) {
        self.requestBodyBytes += Int64(buffer.readableBytes)
        if self.clientTimerPurpose == .requestBody {
            self.clientTimer.deadline = NIODeadline.now() + TimeAmount(self.limits.bodyIdleTimeout)
        }
        switch self.phase {
        case .wafBuffering:
            if let max = self.limits.maxRequestBody, self.requestBodyBytes > max.bytes {
                return self.respondLocally(.payloadTooLarge, "Request body too large\n", closing: true)
            }
            self.bufferForWAF(buffer)
        case .connecting, .lookingUp, .waitingForFill, .wafInspecting:
            if let max = self.limits.maxRequestBody, self.requestBodyBytes > max.bytes {
                return self.respondLocally(.payloadTooLarge, "Request body too large\n", closing: true)
            }
            self.pendingBody.append(.body(.byteBuffer(buffer)))
        case .forwarding:
            if let max = self.limits.maxRequestBody, self.requestBodyBytes > max.bytes {
                // Part of the body has reached the origin: the exchange can't be completed honestly.
                if !self.responseStarted {
                    self.releaseConnection(reusable: false, recordSuccess: true)
                    return self.respondLocally(.payloadTooLarge, "Request body too large\n", closing: true)
                }
                self.context.close(promise: nil)
                return
            }
            guard let connection = self.connection else { return }
            connection.handler.write(.body(.byteBuffer(buffer)))
            if !connection.channel.isWritable {
                self.pauseClientReads()
            }
        case .idle, .file, .localDeferred, .finishing, .fromFill:
            break  // discarded
        }
    }

    func receivedEnd() {
        self.requestEnded = true
        if self.clientTimerPurpose == .requestBody {
            self.clientTimerPurpose = .none
            self.clientTimer.deadline = nil
        }
        switch self.phase {
        case .wafBuffering:
            self.pendingBody.append(.end(nil))
            self.inspectWithWAF()
        case .connecting, .lookingUp, .waitingForFill, .wafInspecting:
            self.pendingBody.append(.end(nil))
        case .forwarding:
            guard let connection = self.connection else { return }
            connection.handler.write(.end(nil))
            if !self.inClientRead { connection.handler.flush() }
            if !self.responseStarted { self.armFirstByteTimer() }
        case .file(let index):
            self.serveFile(index)
        case .localDeferred(let status, let body, let headers):
            self.sendLocalResponse(status, body, extraHeaders: headers)
        case .idle, .finishing, .fromFill:
            break
        }
    }

    /// `PURGE /path` on the data listener (the convention of several caches): a hard purge of
    /// that URL's every variant, for clients in `admin.purge_method.allow`; others get 403.
    func purgeFromDataListener(target: RequestTarget, host: String, allow: [IPAddressRange]) {
        guard let ip = IPAddress(self.peerAddress), allow.contains(where: { $0.contains(ip) }) else {
            return self.respondLater(.forbidden, "PURGE is not allowed from this address\n")
        }
        guard let purger = self.runtime.purger else {
            return self.respondLater(.notFound, "Caching is off\n")
        }
        self.phase = .finishing
        self.pauseClientReads()
        let url = "http://\(host)\(target.path)\(target.query.map { "?\($0)" } ?? "")"
        let exchange = self.exchangeID
        purger.purge(PurgeRequest(urls: [url]), on: self.context.eventLoop)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                guard exchange == self.exchangeID else { return }
                self.phase = .idle
                let body: String
                switch result {
                case .success(let purged):
                    body = "{\"matched\":\(purged.matched),\"purged\":\(purged.purged),\"soft\":false,\"dryRun\":false}\n"
                    self.phase = .localDeferred(purged.purged > 0 ? .ok : .notFound, body, ["Content-Type": "application/json"])
                case .failure:
                    self.phase = .localDeferred(.internalServerError, "Purge failed\n", [:])
                }
                self.resumeClientReads()
                if self.requestEnded, case .localDeferred(let status, let body, let headers) = self.phase {
                    self.sendLocalResponse(status, body, extraHeaders: headers)
                }
            }
    }

    // MARK: Forwarding

    func startForwarding(head: HTTPRequestHead, target: RequestTarget, hashKey: String, expectContinue: Bool, now: NIODeadline) {
        guard let member = self.loop.pickMember(poolIndex: self.poolIndex, hashKey: hashKey, excluding: nil, now: now) else {
            return self.respondLater(.serviceUnavailable, "No origin server is available\n", extra: [("Retry-After", "5")])
        }
        var upstreamHeaders = head.headers
        ProxyHeaders.prepareRequest(
            &upstreamHeaders,
            version: head.version,
            forwarding: ForwardingContext(
                peerAddress: self.peerAddress,
                peerIsTrusted: self.peerTrusted,
                scheme: "http",
                viaPseudonym: self.runtime.configuration.proxy.via,
                addForwarded: self.runtime.configuration.proxy.forwarded,
                upstreamHost: nil
            )
        )
        // The canonical origin-form (RFC 9112 §3.2.1): an absolute-form target's authority became
        // `Host` when the request was canonicalised.
        var upstreamHead = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: upstreamHeaders)
        if self.cache != nil { self.editUpstreamHeadForCache(&upstreamHead) }
        self.upstreamHead = upstreamHead
        if expectContinue {
            self.context.writeAndFlush(
                self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                promise: nil
            )
        }
        self.acquire(member: member, forceNew: false)
    }

    func acquire(member: OriginMember, forceNew: Bool) {
        self.member = member
        self.phase = .connecting
        self.pauseClientReads()
        self.loop.connectionPool(poolIndex: self.poolIndex, member: member).acquire(for: self, forceNew: forceNew)
    }

    func connectionReady(_ connection: UpstreamConnection) {
        guard case .connecting = self.phase, let template = self.upstreamHead, let member = self.member else {
            // The client went away (or the exchange ended) while we waited.
            connection.pool.release(connection, reusable: true)
            return
        }
        self.phase = .forwarding
        self.connection = connection
        connection.handler.delegate = self
        if !self.inFlightCounted {
            member.inFlight.wrappingIncrement(ordering: .relaxed)
            member.requestsTotal.wrappingIncrement(ordering: .relaxed)
            self.inFlightCounted = true
        }
        self.upstreamStart = NIODeadline.now()
        self.upstreamRequestMillis = Self.unixMillis()
        connection.handler.write(.head(self.upstreamHead(from: template, for: member)))
        while let part = self.pendingBody.popFirst() {
            connection.handler.write(part)
        }
        if !self.inClientRead { connection.handler.flush() }  // else channelReadComplete flushes
        if self.requestEnded { self.armFirstByteTimer() }
        if !self.clientGone && !self.context.channel.isWritable { connection.handler.pauseReads() } else { connection.handler.resumeReads() }
        if connection.channel.isWritable { self.resumeClientReads() }
    }

    /// Applies what depends on the chosen member: its base path and the pool's `Host` policy.
    func upstreamHead(from template: HTTPRequestHead, for member: OriginMember) -> HTTPRequestHead {
        var head = template
        if !member.url.basePath.isEmpty { head.uri = member.url.basePath + head.uri }
        switch self.runtime.pools[self.poolIndex].config.hostHeader {
        case .preserve:
            if !head.headers.contains(name: "host") { head.headers.add(name: "Host", value: member.authority) }
        case .origin:
            head.headers.replaceOrAdd(name: "Host", value: member.authority)
        case .fixed(let value):
            head.headers.replaceOrAdd(name: "Host", value: value)
        }
        return head
    }

    func connectionFailed(_ error: any Error) {
        guard case .connecting = self.phase, let member = self.member else { return }
        member.recordRequest(.failure(.connect), now: .now(), on: self.context.eventLoop)
        if self.mayRetryElsewhere(), let next = self.loop.pickMember(
            poolIndex: self.poolIndex, hashKey: self.requestTargetPath, excluding: member.index, now: .now()
        ) {
            self.retriedOther = true
            self.runtime.stats.upstreamRetries.wrappingIncrement(ordering: .relaxed)
            return self.acquire(member: next, forceNew: false)
        }
        let timedOut = (error as? ChannelError).map { if case .connectTimeout = $0 { return true } else { return false } } ?? false
        self.failBeforeResponse(timedOut ? .gatewayTimeout : .badGateway)
    }

    /// Idempotent requests whose body (if any) is still fully buffered can go to another member once.
    func mayRetryElsewhere() -> Bool {
        guard let pool = self.runtime.pools[safe: self.poolIndex], pool.config.retryIdempotent, !self.retriedOther,
              let method = self.requestHead?.method, method.isIdempotent else { return false }
        return true
    }

    var requestTargetPath: String { self.requestHead?.uri ?? "/" }

    func armFirstByteTimer() {
        let timeout = self.runtime.pools[self.poolIndex].config.timeouts.firstByte
        self.upstreamTimer.deadline = NIODeadline.now() + TimeAmount(timeout)
    }

    func upstreamReceived(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head):
            self.receivedUpstreamHead(head)
        case .body(let buffer):
            self.runtime.stats.bytesFromOrigins.wrappingIncrement(by: buffer.readableBytes, ordering: .relaxed)
            if self.cache != nil {
                self.cacheReceivedUpstreamBody(buffer)
            } else {
                self.writeClientBody(buffer)
            }
        case .end:
            self.receivedUpstreamEnd()
        }
    }

    func receivedUpstreamHead(_ head: HTTPResponseHead) {
        guard case .forwarding = self.phase, let request = self.requestHead else { return }
        let now = NIODeadline.now()
        self.upstreamKeepAlive = ProxyHeaders.isKeepAlive(head.headers, version: head.version)
        self.upstreamStatus = Int(head.status.code)
        if let start = self.upstreamStart {
            let micros = Int64((now - start).nanoseconds / 1000)
            self.upstreamMicros = micros
            self.member?.recordLatency(micros: micros)
        }
        let idle = self.runtime.pools[self.poolIndex].config.timeouts.idle
        self.upstreamTimer.deadline = now + TimeAmount(idle)

        var headers = head.headers
        ProxyHeaders.prepareResponse(
            &headers,
            version: head.version,
            hide: self.runtime.hideResponseHeaders,
            viaPseudonym: self.cache == nil ? self.runtime.configuration.proxy.via : nil
        )
        if self.cache != nil, self.cacheReceivedUpstreamHead(head, request: request, headers: &headers) {
            // The cache answers once the upstream exchange ends (304 merged, or stale-if-error).
            self.responseStatus = Int(head.status.code)
            return
        }
        var status = self.cacheOverrideStatus ?? head.status
        if request.method != .HEAD, status != .notModified {
            self.prepareClientDecoding(response: head.headers, request: request, headers: &headers, status: &status)
            self.prepareStreamingCompression(response: head.headers, request: request, headers: &headers, status: status)
        }
        self.responseStatus = Int(status.code)
        if self.cache?.holdUntilStored == true {
            self.heldHead = (status, headers, request)
            return
        }
        self.responseStarted = true
        self.writeResponseHead(status: status, headers: headers, request: request)
    }

    /// Writes a held response (head with its final `Cache-Status`, then the body kept so far).
    func releaseHeldResponse() {
        guard let held = self.heldHead else { return }
        self.heldHead = nil
        self.responseStarted = true
        var headers = held.headers
        self.cache?.bodyComplete = true
        if let status = self.cache?.status, headers.contains(name: "cache-status") {
            headers.replaceOrAdd(name: "Cache-Status", value: self.renderedCacheStatus(status))
        }
        self.writeResponseHead(status: held.status, headers: headers, request: held.request)
        let body = self.heldBody
        self.heldBody = []
        if self.clientGone { return }
        for buffer in body {
            self.responseBytes += buffer.readableBytes
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
    }

    /// Drops a held response after the origin failed: nothing of it reached the client.
    func discardHeldResponse() {
        guard self.heldHead != nil else { return }
        self.heldHead = nil
        self.heldBody = []
        self.cache?.status.stored = false
        self.cache?.fill = nil
    }

    func receivedUpstreamEnd() {
        guard case .forwarding = self.phase else { return }
        self.upstreamTimer.deadline = nil
        let reusable = self.upstreamKeepAlive && self.requestEnded
        self.releaseConnection(reusable: reusable, recordSuccess: true)
        if self.cache != nil, self.cacheReceivedUpstreamEnd() { return }
        self.releaseHeldResponse()
        self.finishResponse()
    }

    func upstreamReadComplete() {
        if !self.clientGone { self.context.flush() }
        if self.responseStarted || self.heldHead != nil, case .forwarding = self.phase {
            let idle = self.runtime.pools[self.poolIndex].config.timeouts.idle
            self.upstreamTimer.deadline = NIODeadline.now() + TimeAmount(idle)
        }
    }

    func upstreamWritabilityChanged(isWritable: Bool) {
        if isWritable {
            if case .forwarding = self.phase { self.resumeClientReads() }
        } else {
            self.pauseClientReads()
        }
    }

    func upstreamFailed(_ error: any Error) {
        guard case .forwarding = self.phase, let connection = self.connection, let member = self.member else { return }
        self.upstreamTimer.deadline = nil
        let wasReused = connection.reused
        self.releaseConnection(reusable: false, recordSuccess: false)
        if self.heldHead != nil {
            // A held (small, being stored) response broke off: the client has seen nothing of it.
            member.recordRequest(.failure(RequestOutcome.kind(of: error)), now: .now(), on: self.context.eventLoop)
            self.discardHeldResponse()
            return self.failBeforeResponse(.badGateway)
        }
        if !self.responseStarted, self.cache?.serveAfterUpstream != nil {
            _ = self.cacheServeStaleOnFailure(.connect)
            return
        }
        if self.responseStarted {
            // Bytes of this response are already on the wire: only an abort tells the client the truth.
            self.cache?.status.stored = false
            member.recordRequest(.failure(RequestOutcome.kind(of: error)), now: .now(), on: self.context.eventLoop)
            self.releaseCacheLock(.failed)
            if !self.clientGone { self.context.close(promise: nil) }
            self.clientGone = false
            return
        }
        let bodyless = !self.requestHasBody
        let idempotent = self.requestHead?.method.isIdempotent ?? false
        if wasReused, bodyless, idempotent, !self.retriedStale {
            // A kept-alive connection the origin had already closed: retry once on a fresh one.
            self.retriedStale = true
            self.runtime.stats.upstreamRetries.wrappingIncrement(ordering: .relaxed)
            return self.acquire(member: member, forceNew: true)
        }
        if !wasReused || RequestOutcome.kind(of: error) == .invalidResponse {
            member.recordRequest(.failure(RequestOutcome.kind(of: error)), now: .now(), on: self.context.eventLoop)
        }
        if bodyless, self.mayRetryElsewhere(), let next = self.loop.pickMember(
            poolIndex: self.poolIndex, hashKey: self.requestTargetPath, excluding: member.index, now: .now()
        ) {
            self.retriedOther = true
            self.runtime.stats.upstreamRetries.wrappingIncrement(ordering: .relaxed)
            return self.acquire(member: next, forceNew: false)
        }
        self.failBeforeResponse(.badGateway)
    }

    func upstreamTimedOut() {
        if case .waitingForFill = self.phase { return self.cacheLockTimedOut() }
        guard case .forwarding = self.phase, let member = self.member else { return }
        member.recordRequest(.failure(.timeout), now: .now(), on: self.context.eventLoop)
        self.releaseConnection(reusable: false, recordSuccess: false)
        self.discardHeldResponse()
        if self.responseStarted {
            self.cache?.status.stored = false
            self.releaseCacheLock(.failed)
            if !self.clientGone { self.context.close(promise: nil) }
            self.clientGone = false
        } else {
            self.failBeforeResponse(.gatewayTimeout)
        }
    }

    /// Gives the upstream connection back (or closes it) and settles in-flight accounting.
    func releaseConnection(reusable: Bool, recordSuccess: Bool) {
        guard let connection = self.connection, let member = self.member else { return }
        self.connection = nil
        connection.handler.delegate = nil
        connection.handler.resumeReads()
        if self.inFlightCounted {
            member.inFlight.wrappingDecrement(ordering: .relaxed)
            self.inFlightCounted = false
        }
        if recordSuccess {
            member.recordRequest(.response(status: self.upstreamStatus), now: .now(), on: self.context.eventLoop)
        }
        connection.pool.release(connection, reusable: reusable)
    }

    func failBeforeResponse(_ status: HTTPResponseStatus) {
        if self.cache != nil, self.cacheServeStaleOnFailure(status == .gatewayTimeout ? .timeout : .connect) {
            self.pendingBody.removeAll()
            self.resumeClientReads()
            return
        }
        self.releaseCacheLock(.failed)
        let body: String
        switch status {
        case .gatewayTimeout: body = "504 Gateway Timeout\n"
        case .serviceUnavailable: body = "503 Service Unavailable\n"
        default: body = "502 Bad Gateway\n"
        }
        self.pendingBody.removeAll()
        self.resumeClientReads()
        if self.requestEnded {
            self.sendLocalResponse(status, body, extraHeaders: [:])
        } else {
            // The client is still sending a body nobody will read: answer now and close.
            self.keepAlive = false
            self.sendLocalResponse(status, body, extraHeaders: [:])
        }
    }

    // MARK: File origin

    func serveFile(_ index: Int) {
        guard let request = self.requestHead else { return }
        let origin = self.runtime.fileOrigins[index]
        let plan = origin.plan(method: request.method, uri: request.uri, headers: request.headers, now: Self.unixNow())
        self.phase = .finishing
        self.responseStarted = true
        self.responseStatus = Int(plan.status.code)
        var headers = plan.headers
        if let via = self.runtime.configuration.proxy.via {
            ProxyHeaders.appendVia(&headers, version: request.version, pseudonym: via)
        }
        self.writeResponseHead(status: plan.status, headers: headers, request: request)
        let hasFileSegment = plan.body.contains { if case .file = $0 { return true } else { return false } }
        guard hasFileSegment, let path = plan.filePath else {
            for segment in plan.body {
                if case .bytes(let buffer) = segment {
                    self.responseBytes += buffer.readableBytes
                    self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                }
            }
            return self.finishResponse()
        }
        let exchange = self.exchangeID
        self.runtime.fileIO.openFile(_deprecatedPath: path, eventLoop: self.context.eventLoop)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                switch result {
                case .success(let (handle, _)):
                    guard exchange == self.exchangeID, self.context.channel.isActive else {
                        try? handle.close()
                        return
                    }
                    for segment in plan.body {
                        switch segment {
                        case .bytes(let buffer):
                            self.responseBytes += buffer.readableBytes
                            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                        case .file(let offset, let length):
                            self.responseBytes += Int(length)
                            let region = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset + length))
                            self.context.write(self.wrapOutboundOut(.body(.fileRegion(region))), promise: nil)
                        }
                    }
                    self.finishResponse { try? handle.close() }
                case .failure:
                    // The file vanished between plan and open: the head is out, so abort.
                    if exchange == self.exchangeID { self.context.close(promise: nil) }
                }
            }
    }

    static func unixNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec)
    }

    // MARK: Responses

    /// Writes a response head for `request`, settling keep-alive with the client's HTTP version.
    func writeResponseHead(status: HTTPResponseStatus, headers: HTTPHeaders, request: HTTPRequestHead) {
        if self.clientGone { return }
        var headers = headers
        if self.draining { self.keepAlive = false }
        let isHTTP10 = request.version.major == 1 && request.version.minor == 0
        if isHTTP10 {
            // HTTP/1.0 has no chunked coding: without a length the body is close-delimited.
            let bodyless = request.method == .HEAD || status == .notModified || status == .noContent
            if self.keepAlive && (headers.contains(name: "content-length") || bodyless) {
                headers.add(name: "Connection", value: "keep-alive")
            } else {
                self.keepAlive = false
            }
        } else if !self.keepAlive {
            headers.add(name: "Connection", value: "close")
        }
        if status.code >= 500 { self.runtime.stats.responses5xx.wrappingIncrement(ordering: .relaxed) }
        let version: HTTPVersion = isHTTP10 ? .http1_0 : .http1_1
        if let gate = self.gate {
            gate.nextBodiless = request.method == .HEAD
            if let transaction = self.wafTransaction, let security = self.runtime.security, let waf = security.waf {
                // Phase 3: the gate holds this response until the engine has judged its head.
                self.wafTransaction = nil
                gate.nextInspection = WAFResponseGate.Inspection(
                    waf: waf, transaction: transaction, requestID: self.requestID ?? "-",
                    onVerdict: { verdict in security.recordWAFResponse(verdict) }
                )
            }
        } else {
            self.encoder?.nextResponseIsBodiless = request.method == .HEAD
        }
        self.context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))), promise: nil)
    }

    /// Sends a small generated response now.
    func sendLocalResponse(_ status: HTTPResponseStatus, _ body: String, extraHeaders: HTTPHeaders) {
        guard let request = self.requestHead, !self.clientGone else { return }
        self.phase = .finishing
        self.responseStarted = true
        self.responseStatus = Int(status.code)
        var headers = extraHeaders
        if !headers.contains(name: "content-type") { headers.add(name: "Content-Type", value: "text/plain; charset=utf-8") }
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        self.writeResponseHead(status: status, headers: headers, request: request)
        if request.method != .HEAD {
            var buffer = self.context.channel.allocator.buffer(capacity: body.utf8.count)
            buffer.writeString(body)
            self.responseBytes += buffer.readableBytes
            self.context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        self.finishResponse()
    }

    /// A local answer to a request refused before the filters; the WAF still sees it (audit only).
    func refuse(_ status: HTTPResponseStatus, _ body: String, closing: Bool, head: HTTPRequestHead, host: String?) {
        self.auditRefusal(status, head: head, host: host)
        self.respondLocally(status, body, closing: closing)
    }

    /// Answers now; `closing` when the request's body won't be read.
    func respondLocally(_ status: HTTPResponseStatus, _ body: String, closing: Bool, extra: [(String, String)] = []) {
        if closing { self.keepAlive = false }
        self.sendLocalResponse(status, body, extraHeaders: HTTPHeaders(extra))
    }

    /// Answers once the request (and any body, discarded) has ended, keeping the connection.
    func respondLater(_ status: HTTPResponseStatus, _ body: String, extra: [(String, String)] = []) {
        if self.requestEnded {
            // Reached after an asynchronous step (disk lookup, WAF) the request already ended.
            self.pendingBody.removeAll()
            self.resumeClientReads()
            return self.sendLocalResponse(status, body, extraHeaders: HTTPHeaders(extra))
        }
        self.phase = .localDeferred(status, body, HTTPHeaders(extra))
        self.resumeClientReads()  // the answer waits for the request's end: keep reading
    }

    /// Ends the response, logs it, and readies the connection for the next request (or closes it).
    ///
    /// All bookkeeping happens before `.end` is written: writing it lets `HTTPServerPipelineHandler`
    /// deliver the next pipelined request synchronously, which starts a new exchange on this handler.
    func finishResponse(_ afterWrite: (() -> Void)? = nil) {
        self.finishClientEncoding()
        self.releaseCacheLock(.failed)  // normally already released with its real outcome
        self.finishWAFTransaction()
        if self.clientGone {
            // The fill finished for the waiters and the cache; the client is long gone.
            self.logExchange()
            self.clientGone = false
            self.phase = .finishing
            afterWrite?()
            return
        }
        let keepAlive = self.keepAlive && (self.requestEnded || !self.requestHasBody)
        let closeAfterWrite = !keepAlive || self.draining || (self.inputClosed && self.pipelined.isEmpty)
        self.logExchange()
        self.responseInProgress = false
        if keepAlive {
            self.phase = .idle
            self.requestHead = nil
            if !self.draining { self.armAwaitingHead(first: false) }
        } else {
            self.phase = .finishing
        }
        if closeAfterWrite {
            self.closingAfterResponse = true
            self.pipelined.removeAll()
        }
        self.resumeClientReads()
        let context = self.context!
        if afterWrite == nil && !closeAfterWrite {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let promise = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: promise)
            promise.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { _ in
                afterWrite?()
                if closeAfterWrite { context.close(promise: nil) }
            }
        }
        if !self.pipelined.isEmpty { self.processPipelined() }
        if let status = self.deferredParseError, !self.responseInProgress, self.pipelined.isEmpty, !closeAfterWrite {
            self.sendParseError(status)
        }
    }

    func logExchange() {
        self.runtime.stats.bytesServed.wrappingIncrement(by: self.responseBytes, ordering: .relaxed)
        if self.cache?.status.hit ?? false {
            self.runtime.stats.bytesServedFromCache.wrappingIncrement(by: self.responseBytes, ordering: .relaxed)
        }
        guard let sink = self.runtime.accessLog, let request = self.requestHead else { return }
        let micros = Int64((NIODeadline.now() - self.exchangeStart).nanoseconds / 1000)
        let record = AccessLogRecord(
            unixTime: Self.unixNow(),
            client: self.clientIdentity ?? self.peerAddress,
            method: request.method.rawValue,
            target: request.uri,
            rawTarget: self.rawTarget,
            version: request.version.major == 1 && request.version.minor == 0 ? "HTTP/1.0" : "HTTP/1.1",
            status: self.responseStatus,
            bytesSent: self.responseBytes,
            durationMicros: micros,
            upstream: self.member.map { $0.authority },
            upstreamMicros: self.upstreamMicros,
            cacheStatus: self.cacheLogValue,
            referer: request.headers.first(name: "referer"),
            userAgent: request.headers.first(name: "user-agent"),
            requestID: self.requestID,
            security: self.securityOutcome
        )
        guard let gate = self.gate, gate.isHolding else { return sink.log(record) }
        // The WAF may still replace this response (phase 3): log what the client gets.
        gate.afterPending { blocked in
            var record = record
            if let blocked {
                record.status = blocked
                record.security = "waf-blocked"
            }
            sink.log(record)
        }
    }

    // MARK: Timers and teardown

    func armAwaitingHead(first: Bool) {
        self.clientTimerPurpose = .awaitingHead
        let timeout = first ? self.limits.headerTimeout : self.limits.keepAliveTimeout
        self.clientTimer.deadline = NIODeadline.now() + TimeAmount(timeout)
    }

    func clientTimedOut() {
        switch self.clientTimerPurpose {
        case .none:
            return
        case .awaitingHead:
            // Idle keep-alive or a client too slow to send its head (slowloris): just close.
            self.context.close(promise: nil)
        case .requestBody:
            if self.responseStarted {
                self.context.close(promise: nil)
            } else {
                self.releaseConnection(reusable: false, recordSuccess: true)
                self.respondLocally(.requestTimeout, "Request body timeout\n", closing: true)
            }
        }
    }

    func abortExchange() {
        if self.cache != nil {
            if self.continueFillWithoutClient() { return }
            self.leaveFill()
            self.releaseCacheLock(.failed)
        }
        if case .connecting = self.phase, let member = self.member {
            self.loop.connectionPool(poolIndex: self.poolIndex, member: member).cancelWaiting(self)
        }
        if let connection = self.connection {
            // Mid-exchange: the upstream connection is in an unknown state; never reuse it.
            connection.handler.close()
            self.releaseConnection(reusable: false, recordSuccess: true)
        }
        self.phase = .finishing
    }

    func resetExchange() {
        // Safety net: a lock or a waiting list must never outlive its exchange.
        if self.cache != nil {
            self.leaveFill()
            self.releaseCacheLock(.failed)
        }
        self.clientGone = false
        self.waitingTarget = nil
        self.finishWAFTransaction()
        self.admission = nil
        self.clientDecoder = nil
        self.clientEncoder = nil
        self.requestID = nil
        self.securityOutcome = nil
        self.clientIdentity = nil
        self.rawTarget = nil
        self.receivedFields = nil
        self.phase = .idle
        self.upstreamHead = nil
        self.requestEnded = false
        self.requestHasBody = false
        self.requestBodyBytes = 0
        self.pendingBody.removeAll(keepingCapacity: true)
        self.member = nil
        self.connection = nil
        self.retriedStale = false
        self.retriedOther = false
        self.responseStarted = false
        self.heldHead = nil
        self.heldBody = []
        self.responseStatus = 0
        self.responseBytes = 0
        self.upstreamKeepAlive = false
        self.upstreamStart = nil
        self.upstreamMicros = nil
        self.inFlightCounted = false
        self.cache = nil
        self.cacheOverrideStatus = nil
        self.upstreamRequestMillis = nil
    }
}

extension HTTPMethod {
    /// RFC 9110 §9.2.2.
    var isIdempotent: Bool {
        switch self {
        case .GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE: return true
        default: return false
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < self.count ? self[index] : nil }
}
