import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import TernCore
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
        /// What `hitForMiss` holds, as charged to the ledger's `memos` account.
        var hitForMissBytes = 0
        var revalidating: Set<String> = []
    }

    private let state = NIOLockedValueBox(State())
    let maxWaiters: Int
    let hitForMissDuration: TimeAmount
    private let ledger: MemoryLedger?

    /// Bytes charged per hit-for-miss key besides its UTF-8: the dictionary slot, the deadline and
    /// the string's heap header.
    static let hitForMissEntryOverhead = 64

    init(maxWaiters: Int, hitForMiss: TimeAmount, ledger: MemoryLedger? = nil) {
        self.maxWaiters = maxWaiters
        self.hitForMissDuration = hitForMiss
        self.ledger = ledger
    }

    /// Leads a new fill for `key`, or joins the one in flight.
    func joinOrLead(key: String, now: NIODeadline) -> Join {
        self.state.withLockedValue { state in
            if let until = state.hitForMiss[key] {
                if now < until { return .hitForMiss }
                state.hitForMiss[key] = nil
                let cost = key.utf8.count + Self.hitForMissEntryOverhead
                state.hitForMissBytes -= cost
                self.ledger?.adjust(-cost, in: .memos)
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
            let cost = key.utf8.count + Self.hitForMissEntryOverhead
            if state.hitForMiss[key] == nil {
                if state.hitForMissBytes + cost > MemoryBudget.hitForMiss {
                    // Over its budget: forget expired marks, and everything if that is not enough.
                    let before = state.hitForMissBytes
                    state.hitForMiss = state.hitForMiss.filter { $0.value > now }
                    state.hitForMissBytes = state.hitForMiss.keys.reduce(0) { $0 + $1.utf8.count + Self.hitForMissEntryOverhead }
                    if state.hitForMissBytes + cost > MemoryBudget.hitForMiss {
                        state.hitForMiss.removeAll()
                        state.hitForMissBytes = 0
                    }
                    self.ledger?.adjust(state.hitForMissBytes - before, in: .memos)
                }
                state.hitForMissBytes += cost
                self.ledger?.adjust(cost, in: .memos)
            }
            state.hitForMiss[key] = now + self.hitForMissDuration
        }
    }

    /// Clears a hit-for-miss mark (the object became cacheable again).
    func clearHitForMiss(_ key: String) {
        self.state.withLockedValue { state in
            guard state.hitForMiss.removeValue(forKey: key) != nil else { return }
            let cost = key.utf8.count + Self.hitForMissEntryOverhead
            state.hitForMissBytes -= cost
            self.ledger?.adjust(-cost, in: .memos)
        }
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
