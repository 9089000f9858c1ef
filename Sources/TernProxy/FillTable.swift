import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import TernStorage

/// What a request waiting on another request's origin fetch is told, in order.
enum FillEvent: Sendable {
    /// The response head (stored header fields) and the variant it belongs to.
    case head(status: Int, headers: HTTPHeaders, variantKey: String, requestTime: Int64, responseTime: Int64)
    case body(ByteBuffer)
    case end
    /// A complete stored entry (a 304-merged or stale-if-error answer): serve it.
    case entry(CacheEntry)
    /// The fetch failed (connection lost, truncated body): never a short 200.
    case failed
    /// The answer may not be shared (private, no-store, Set-Cookie, error status…): fetch alone.
    case uncacheable
}

/// Receives `FillEvent`s on its own event loop.
protocol FillWaiter: AnyObject {
    func fillEvent(_ event: FillEvent)
}

/// A waiter reference that can cross event loops; events are delivered on `eventLoop`.
final class FillWaiterBox: @unchecked Sendable {
    let eventLoop: any EventLoop
    private weak var waiter: (any FillWaiter)?

    init(_ waiter: any FillWaiter, eventLoop: any EventLoop) {
        self.waiter = waiter
        self.eventLoop = eventLoop
    }

    func deliver(_ event: FillEvent) {
        self.eventLoop.execute { [self] in self.waiter?.fillEvent(event) }
    }
}

/// One object being fetched from the origin on behalf of a leader and its waiters
/// (read-while-writer). Waiters on any event loop get the head and every body chunk as it
/// arrives; a late joiner first gets what arrived so far, then the rest.
final class InFlightFill: @unchecked Sendable {
    let key: String
    private let lock = NIOLock()
    private var head: FillEvent?
    private var chunks: [ByteBuffer] = []
    private var outcome: FillEvent?
    private var waiters: [FillWaiterBox] = []
    /// Set when the body outgrew the size limit: existing waiters keep streaming, nobody new joins.
    private var closedToJoiners = false
    private let maxWaiters: Int
    private(set) var joined = 0

    init(key: String, maxWaiters: Int) {
        self.key = key
        self.maxWaiters = maxWaiters
    }

    /// Registers a waiter and replays what has arrived. `false` when the list is full or the fill
    /// no longer takes joiners: the caller fetches on its own.
    func subscribe(_ waiter: FillWaiterBox) -> Bool {
        self.lock.withLock {
            guard !self.closedToJoiners, self.waiters.count < self.maxWaiters else { return false }
            self.joined += 1
            if let head = self.head { waiter.deliver(head) }
            for chunk in self.chunks { waiter.deliver(.body(chunk)) }
            if let outcome = self.outcome {
                waiter.deliver(outcome)
            } else {
                self.waiters.append(waiter)
            }
            return true
        }
    }

    func unsubscribe(_ waiter: FillWaiterBox) {
        self.lock.withLock { self.waiters.removeAll { $0 === waiter } }
    }

    var waiterCount: Int { self.lock.withLock { self.waiters.count } }

    // MARK: Leader side

    func publishHead(status: Int, headers: HTTPHeaders, variantKey: String, requestTime: Int64, responseTime: Int64) {
        let event = FillEvent.head(status: status, headers: headers, variantKey: variantKey, requestTime: requestTime, responseTime: responseTime)
        self.lock.withLock {
            self.head = event
            for waiter in self.waiters { waiter.deliver(event) }
        }
    }

    func publishBody(_ buffer: ByteBuffer, keepForLateJoiners: Bool) {
        self.lock.withLock {
            if keepForLateJoiners, !self.closedToJoiners {
                self.chunks.append(buffer)
            } else if !self.closedToJoiners {
                self.closedToJoiners = true
                self.chunks = []
            }
            for waiter in self.waiters { waiter.deliver(.body(buffer)) }
        }
    }

    /// Ends the fill with `.end`, `.failed`, `.uncacheable` or `.entry`; waiters are released.
    func finish(_ outcome: FillEvent) {
        self.lock.withLock {
            guard self.outcome == nil else { return }
            self.outcome = outcome
            for waiter in self.waiters { waiter.deliver(outcome) }
            self.waiters = []
        }
    }
}

/// The cache lock: at most one origin fetch in flight per key, across all event loops.
final class FillTable: Sendable {
    enum Join {
        case lead(InFlightFill)
        case wait(InFlightFill)
        /// Recently uncacheable: go to the origin directly, without queueing.
        case hitForMiss
    }

    private struct State {
        var fills: [String: InFlightFill] = [:]
        var hitForMiss: [String: NIODeadline] = [:]
        var revalidating: Set<String> = []
    }

    private let state = NIOLockedValueBox(State())
    let maxWaiters: Int
    let hitForMissDuration: TimeAmount
    private static let maxHitForMissKeys = 100_000

    init(maxWaiters: Int, hitForMiss: TimeAmount) {
        self.maxWaiters = maxWaiters
        self.hitForMissDuration = hitForMiss
    }

    /// Leads a new fill for `key`, or joins the one in flight.
    func joinOrLead(key: String, now: NIODeadline) -> Join {
        self.state.withLockedValue { state in
            if let until = state.hitForMiss[key] {
                if now < until { return .hitForMiss }
                state.hitForMiss[key] = nil
            }
            if let fill = state.fills[key] { return .wait(fill) }
            let fill = InFlightFill(key: key, maxWaiters: self.maxWaiters)
            state.fills[key] = fill
            return .lead(fill)
        }
    }

    /// Forgets a finished fill (only if it is still the one registered for its key).
    func remove(_ fill: InFlightFill) {
        self.state.withLockedValue { state in
            if state.fills[fill.key] === fill { state.fills[fill.key] = nil }
        }
    }

    /// Remembers that `key` answered with something that can't be shared.
    func markHitForMiss(_ key: String, now: NIODeadline) {
        guard self.hitForMissDuration > .zero else { return }
        self.state.withLockedValue { state in
            if state.hitForMiss.count >= Self.maxHitForMissKeys {
                state.hitForMiss = state.hitForMiss.filter { $0.value > now }
                if state.hitForMiss.count >= Self.maxHitForMissKeys { state.hitForMiss.removeAll() }
            }
            state.hitForMiss[key] = now + self.hitForMissDuration
        }
    }

    /// Clears a hit-for-miss mark (the object became cacheable again).
    func clearHitForMiss(_ key: String) {
        self.state.withLockedValue { _ = $0.hitForMiss.removeValue(forKey: key) }
    }

    /// Single flight for background revalidations: `true` when the caller should run it.
    func beginRevalidation(_ key: String) -> Bool {
        self.state.withLockedValue { $0.revalidating.insert(key).inserted }
    }

    func endRevalidation(_ key: String) {
        self.state.withLockedValue { _ = $0.revalidating.remove(key) }
    }

    var inFlightCount: Int { self.state.withLockedValue { $0.fills.count } }
}
