import Atomics
import NIOCore
import NIOHTTP1
import TernCore
import TernLimits
import TernPolicy
import TernWAF

/// A request waiting on the WAF, and where it goes when it passes.
struct PendingAdmission {
    var target: RequestTarget
    var host: String?
    var routeIndex: Int
    var ruleSet: Int
    var mode: WAFMode
    var body: ByteBuffer?
    var bodyTruncated = false
}

/// Request ids: a per-process prefix and a counter (cheap, unique, sortable).
enum RequestIDs {
    static let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    static let counter = ManagedAtomic<Int>(0)
    static func next() -> String { "\(prefix)-\(counter.wrappingIncrementThenLoad(ordering: .relaxed))" }
}

extension ProxyHandler {
    /// The filters between routing and dispatch (Docs/security.md): IP access lists, rate limits,
    /// then the WAF on the whole request. Requests that pass are dispatched to their route.
    func admit(head: HTTPRequestHead, target: RequestTarget, host: String?, routeIndex: Int, expectContinue: Bool, now: NIODeadline) {
        guard let gate = self.runtime.security else {
            return self.dispatch(head: head, target: target, host: host, routeIndex: routeIndex, expectContinue: expectContinue, now: now)
        }
        let client = self.peerIP.map { gate.identity(peer: $0, headers: head.headers) }
        // Only a client other than the socket peer needs its own string (`peerAddress` has the peer's).
        if let client, client != self.peerIP { self.clientIdentity = client.description }
        if let client, !gate.permits(client, listener: self.listenerIndex, route: routeIndex) {
            gate.aclDenials.wrappingIncrement(ordering: .relaxed)
            self.securityOutcome = "acl-denied"
            return self.respondLater(.forbidden, "403 Forbidden\n")
        }
        if let client, let (policy, decision) = gate.rateLimit(route: routeIndex, client: client, headers: head.headers, now: Int64(now.uptimeNanoseconds)) {
            self.securityOutcome = "rate-limited"
            let fields = RateLimitHeaders.make(policyName: policy.name, limit: policy.limit, decision: decision)
            return self.respondLater(.tooManyRequests, "429 Too Many Requests\n", extra: fields)
        }
        let route = gate.routes[routeIndex]
        guard route.wafMode != .off, let waf = gate.waf else {
            return self.dispatch(head: head, target: target, host: host, routeIndex: routeIndex, expectContinue: expectContinue, now: now)
        }
        self.requestID = RequestIDs.next()
        self.admission = PendingAdmission(target: target, host: host, routeIndex: routeIndex, ruleSet: route.wafRuleSet, mode: route.wafMode)
        if self.requestHasBody && !self.requestEnded {
            // Phase 2 needs the body: buffer it (up to the WAF limit) before anything is forwarded.
            self.phase = .wafBuffering
            if expectContinue {
                self.context.writeAndFlush(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            _ = waf
            return
        }
        self.inspectWithWAF()
    }

    /// Body bytes of a request waiting for the WAF: kept for forwarding and, up to the limit, for inspection.
    func bufferForWAF(_ buffer: ByteBuffer) {
        guard var admission = self.admission, let waf = self.runtime.security?.waf else { return }
        self.pendingBody.append(.body(.byteBuffer(buffer)))
        let limit = waf.settings.requestBodyLimit
        var body = admission.body ?? self.context.channel.allocator.buffer(capacity: min(limit, buffer.readableBytes))
        let room = limit - body.readableBytes
        if room > 0 {
            var slice = buffer.getSlice(at: buffer.readerIndex, length: min(room, buffer.readableBytes)) ?? ByteBuffer()
            body.writeBuffer(&slice)
        }
        if buffer.readableBytes > room { admission.bodyTruncated = true }
        admission.body = body
        self.admission = admission
    }

    /// Runs phases 1–2 on the WAF's threads; the request waits (reads paused).
    func inspectWithWAF() {
        guard let admission = self.admission, let head = self.requestHead, let gate = self.runtime.security, let waf = gate.waf else { return }
        self.phase = .wafInspecting
        self.pauseClientReads()
        let request = self.makeWAFRequest(
            method: head.method.rawValue, uri: head.uri, version: head.version.minor == 0 ? "1.0" : "1.1",
            headers: (self.receivedFields ?? head.headers).map { ($0.name, $0.value) }, body: admission.body, bodyTruncated: admission.bodyTruncated
        )
        let exchange = self.exchangeID
        waf.inspectRequest(request, ruleSet: admission.ruleSet, mode: admission.mode, keepTransaction: self.gate != nil, on: self.context.eventLoop)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { result in
                guard exchange == self.exchangeID, case .wafInspecting = self.phase, let head = self.requestHead else {
                    if case .success(let verdict) = result, let transaction = verdict.transaction { waf.finish(transaction) }
                    return
                }
                self.phase = .idle
                self.resumeClientReads()
                switch result {
                case .failure:
                    self.securityOutcome = "waf-error"
                    self.respondNow(.serviceUnavailable, "503 Service Unavailable\n")
                case .success(let verdict):
                    self.securityOutcome = "waf-" + verdict.outcome.rawValue
                    self.wafTransaction = verdict.transaction
                    gate.recordWAF(verdict, mode: admission.mode, uri: head.uri)
                    switch verdict.action {
                    case .pass:
                        self.dispatch(head: head, target: admission.target, host: admission.host, routeIndex: admission.routeIndex, expectContinue: false, now: .now())
                        if self.requestEnded, case .file(let index) = self.phase { self.serveFile(index) }
                    case .deny(let status):
                        let id = self.requestID ?? "-"
                        self.respondNow(HTTPResponseStatus(statusCode: status), "\(status) Request blocked\nRequest ID: \(id)\n", extra: [("X-Request-Id", id)])
                    case .redirect(let status, let url):
                        self.respondNow(HTTPResponseStatus(statusCode: status), "Redirect\n", extra: [("Location", url)])
                    }
                }
            }
    }

    /// Answers now if the request has ended, else once it does (its body is discarded).
    func respondNow(_ status: HTTPResponseStatus, _ body: String, extra: [(String, String)] = []) {
        self.pendingBody.removeAll()
        if self.requestEnded {
            self.sendLocalResponse(status, body, extraHeaders: HTTPHeaders(extra))
        } else {
            self.respondLater(status, body, extra: extra)
        }
    }

    /// Ends the WAF transaction (logging phase) once the response is done.
    func finishWAFTransaction() {
        if let transaction = self.wafTransaction {
            self.wafTransaction = nil
            self.runtime.security?.waf?.finish(transaction)
        }
    }
}

/// Keeps the latest read of a client connection (a reference, no copy) so that a request the HTTP
/// parser refuses can still be shown to the WAF (``RefusedRequestHead``). In the pipeline only when
/// the WAF has an audit log (the only place such a judgement goes); in front of the request decoder.
final class RawRequestCapture: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    var last: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.last = self.unwrapInboundIn(data)
        context.fireChannelRead(data)
    }
}

extension ProxyHandler {
    /// Shows a request Tern refuses before the WAF to the WAF anyway, for the audit log (outcome
    /// `refused`, the answered status; Docs/security.md). The WAF mode is the route's when the target
    /// routes, else `waf.mode`. Fire and forget on the WAF threads.
    func auditRefusal(_ status: HTTPResponseStatus, method: String, uri: String, version: String, headers: [(String, String)], host: String?) {
        guard let gate = self.runtime.security, let waf = gate.waf else { return }
        var mode = gate.defaultWAFMode
        var ruleSet = 0
        if let target = RequestTarget(uri: uri), let route = self.runtime.routeTable.match(host: target.host ?? host, path: target.path) {
            mode = gate.routes[route].wafMode
            ruleSet = gate.routes[route].wafRuleSet
        }
        guard mode != .off else { return }
        let request = self.makeWAFRequest(method: method, uri: uri, version: version, headers: headers)
        waf.auditRefused(request, status: Int(status.code), ruleSet: ruleSet, mode: mode)
    }

    /// The request as the WAF sees it: this connection's addresses, the client identity, the raw values.
    func makeWAFRequest(method: String, uri: String, version: String, headers: [(String, String)], body: ByteBuffer? = nil, bodyTruncated: Bool = false) -> WAFRequest {
        let local = self.context.channel.localAddress
        return WAFRequest(
            requestID: self.requestID ?? RequestIDs.next(),
            clientAddress: self.clientIdentity ?? self.peerAddress,
            clientPort: self.context.channel.remoteAddress?.port ?? 0,
            serverAddress: local?.ipAddress ?? "127.0.0.1",
            serverPort: local?.port ?? 0,
            method: method,
            uri: uri,
            httpVersion: version,
            headers: headers,
            body: body,
            bodyTruncated: bodyTruncated
        )
    }

    /// ``auditRefusal(_:method:uri:version:headers:host:)`` for a parsed head.
    func auditRefusal(_ status: HTTPResponseStatus, head: HTTPRequestHead, host: String?) {
        guard self.runtime.security?.waf != nil else { return }
        if self.clientIdentity == nil, let gate = self.runtime.security, let peer = self.peerIP {
            let client = gate.identity(peer: peer, headers: head.headers)
            if client != peer { self.clientIdentity = client.description }
        }
        self.auditRefusal(
            status, method: head.method.rawValue, uri: head.uri,
            version: "\(head.version.major).\(head.version.minor)",
            headers: head.headers.map { ($0.name, $0.value) }, host: host
        )
    }
}
