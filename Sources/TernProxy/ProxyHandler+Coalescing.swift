import NIOCore
import NIOHTTP1
import TernPolicy
import TernStorage

/// Request coalescing: one origin fetch per object, every waiter streams it (read-while-writer).
///
/// The first request to miss an object takes the cache lock (`FillTable`) and fetches; requests
/// for the same key that arrive meanwhile wait on its `InFlightFill` and receive the head and every
/// body chunk as the leader receives them. A late joiner is replayed what arrived so far. An answer
/// that may not be shared is never handed to waiters: they fetch on their own and the key becomes
/// hit-for-miss for a while. A failed fetch reaches every waiter as an error (502 before any byte,
/// else an aborted connection), never as a short 200.
extension ProxyHandler: FillWaiter {
    /// Takes the cache lock for `key` (and fetches), or waits on the fetch in flight.
    func fetchThroughCacheLock(key: String, target: RequestTarget, expectContinue: Bool, now: NIODeadline) {
        guard let fills = self.runtime.fills, let head = self.requestHead, self.cache != nil else {
            return self.startForwarding(head: self.requestHead!, target: target, hashKey: self.requestHead!.uri, expectContinue: expectContinue, now: now)
        }
        self.cache?.lockKey = key
        switch fills.joinOrLead(key: key, now: now) {
        case .lead(let fill):
            self.cache?.leading = fill
            self.startForwarding(head: head, target: target, hashKey: head.uri, expectContinue: expectContinue, now: now)
        case .hitForMiss:
            self.cache?.status.detail = "hit-for-miss"
            self.runtime.stats.cacheHitForMissForwarded.wrappingIncrement(ordering: .relaxed)
            self.startForwarding(head: head, target: target, hashKey: head.uri, expectContinue: expectContinue, now: now)
        case .wait(let fill):
            let box = FillWaiterBox(self, eventLoop: self.context.eventLoop)
            self.cache?.waitingOn = (fill, box)
            self.waitingTarget = (target, expectContinue)
            self.phase = .waitingForFill
            self.pauseClientReads()
            self.upstreamTimer.deadline = now + TimeAmount(self.runtime.configuration.cache.lockTimeout)
            guard fill.subscribe(box) else {
                // Waiting list full (or the object outgrew the size limit): fetch alone.
                self.cache?.waitingOn = nil
                self.upstreamTimer.deadline = nil
                self.phase = .idle
                return self.startForwarding(head: head, target: target, hashKey: head.uri, expectContinue: expectContinue, now: now)
            }
            self.runtime.stats.cacheCoalesced.wrappingIncrement(ordering: .relaxed)
            self.cache?.status.collapsed = true
        }
    }

    /// Stops waiting and fetches independently (lock timeout, uncacheable answer, Vary mismatch).
    func stopWaitingAndFetch(rejoinKey: String? = nil) {
        guard let (fill, box) = self.cache?.waitingOn, let (target, expectContinue) = self.waitingTarget, let head = self.requestHead else { return }
        fill.unsubscribe(box)
        self.cache?.waitingOn = nil
        self.cache?.status.collapsed = false
        self.upstreamTimer.deadline = nil
        self.phase = .idle
        if let rejoinKey {
            return self.fetchThroughCacheLock(key: rejoinKey, target: target, expectContinue: expectContinue, now: .now())
        }
        self.startForwarding(head: head, target: target, hashKey: head.uri, expectContinue: expectContinue, now: .now())
    }

    /// The lock wait timed out: fetch on our own (the leader keeps going).
    func cacheLockTimedOut() {
        self.runtime.stats.cacheLockTimeouts.wrappingIncrement(ordering: .relaxed)
        self.cache?.status.detail = "lock-timeout"
        self.stopWaitingAndFetch()
    }

    func fillEvent(_ event: FillEvent) {
        guard let request = self.requestHead, self.cache?.waitingOn != nil else { return }
        switch (self.phase, event) {
        case (.waitingForFill, .head(let status, let headers, let variantKey, let requestTime, let responseTime)):
            let fields = CacheVary.fields(headers) ?? []
            if !fields.isEmpty {
                let mine = CacheVary.variantKey(fields: fields, request: request.headers)
                if mine != variantKey, let primary = self.cache?.primaryKey {
                    // The leader fetched another variant: coalesce again on our own variant.
                    return self.stopWaitingAndFetch(rejoinKey: primary + "\u{1F}" + mine)
                }
            }
            self.upstreamTimer.deadline = nil
            self.phase = .fromFill
            self.responseStarted = true
            let stored = StoredResponse(status: status, headers: headers, requestTime: requestTime, responseTime: responseTime)
            let freshness = CachePolicy.freshness(of: stored, now: Self.unixMillis(), options: self.cache!.route.policy)
            self.cache?.status.fwdStatus = status
            self.cache?.status.stored = true
            self.cache?.status.ttl = freshness.ttlRemaining
            var out = headers
            out.replaceOrAdd(name: "Age", value: CachePolicy.ageHeaderValue(freshness))
            self.applyClientView(status: status, responseHeaders: headers, request: request, headers: &out)
            var responseStatus = self.cacheOverrideStatus ?? HTTPResponseStatus(statusCode: status)
            if request.method != .HEAD, responseStatus != .notModified {
                self.prepareClientDecoding(response: headers, request: request, headers: &out, status: &responseStatus)
            }
            self.responseStatus = Int(responseStatus.code)
            self.writeResponseHead(status: responseStatus, headers: out, request: request)
            self.context.flush()
        case (.fromFill, .body(let buffer)):
            self.cacheReceivedUpstreamBody(buffer)
            self.context.flush()
        case (.fromFill, .end):
            self.cache?.waitingOn = nil
            self.finishResponse()
        case (.waitingForFill, .entry(let entry)):
            self.cache?.waitingOn = nil
            self.upstreamTimer.deadline = nil
            self.serveFromCache(entry, stale: false, nowMillis: Self.unixMillis())
        case (.waitingForFill, .uncacheable):
            self.stopWaitingAndFetch()
        case (.waitingForFill, .failed):
            self.cache?.waitingOn = nil
            self.upstreamTimer.deadline = nil
            self.runtime.stats.cacheCoalescedFailures.wrappingIncrement(ordering: .relaxed)
            self.failBeforeResponse(.badGateway)
        case (.fromFill, .failed), (.fromFill, .uncacheable), (.fromFill, .entry):
            // Part of the body is out: only closing the connection tells the client the truth.
            self.cache?.waitingOn = nil
            self.runtime.stats.cacheCoalescedFailures.wrappingIncrement(ordering: .relaxed)
            self.context.close(promise: nil)
        default:
            break
        }
    }

    /// Ends the lock this request holds (if any) with `outcome` for its waiters.
    func releaseCacheLock(_ outcome: FillEvent) {
        guard let fill = self.cache?.leading else { return }
        self.cache?.leading = nil
        self.runtime.fills?.remove(fill)
        fill.finish(outcome)
    }

    /// Leaves a waiting list (the client went away).
    func leaveFill() {
        if let (fill, box) = self.cache?.waitingOn {
            fill.unsubscribe(box)
            self.cache?.waitingOn = nil
        }
    }

    /// A leader whose client disconnected keeps fetching while others wait on it or while the
    /// object is being stored. Returns `true` when the exchange continues without the client.
    func continueFillWithoutClient() -> Bool {
        guard let exchange = self.cache, let fill = exchange.leading else { return false }
        switch self.phase {
        case .forwarding where self.connection != nil, .connecting:
            break
        default:
            return false
        }
        guard fill.waiterCount > 0 || exchange.fill != nil || !self.responseStarted else { return false }
        self.clientGone = true
        return true
    }
}
