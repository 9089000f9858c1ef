import Foundation
import NIOCore

/// The dedicated WAF threads (never event loops) with a bounded admission count and two queues.
///
/// `trySubmit` admits at most `threads + queueLimit` outstanding request inspections; the caller turns a
/// refusal into fail-open or fail-closed. Response inspection and transaction clean-up use `submit`,
/// which is never refused (those transactions were already admitted and must release their memory) and
/// runs **before** queued request inspections: a transaction then ends soon after its request passed
/// instead of behind every request that arrived meanwhile. With 32 connections on one core that kept
/// ~32 live ModSecurity transactions (hundreds of small allocations each) interleaved, and phase 3 cost
/// ~10 % more CPU per request than the jobs themselves (Docs/security.md).
final class WAFWorkerPool: Sendable {
    typealias Job = @Sendable () -> Void

    let threads: Int
    /// The queues and the threads' loop; the threads hold it, not the pool, so a pool dropped without
    /// `shutdown()` still stops its threads (deinit).
    private let core: Core

    init(threads: Int) {
        self.threads = max(1, threads)
        self.core = Core()
        for index in 0..<self.threads {
            self.core.exited.enter()
            let thread = Thread { [core] in
                core.work()
                core.exited.leave()
            }
            thread.name = "WAF-#\(index)"
            thread.stackSize = 8 << 20  // PCRE and the rule engine recurse; like a default pthread stack
            thread.start()
        }
    }

    /// Outstanding admitted request inspections (running + queued).
    var outstandingCount: Int { self.core.locked { $0.outstanding } }

    /// Runs `work` on a WAF thread unless `threads + queueLimit` inspections are already outstanding.
    func trySubmit(queueLimit: Int, _ work: @escaping Job) -> Bool {
        let capacity = self.threads + max(0, queueLimit)
        let core = self.core
        return core.enqueue(urgent: false, admitBelow: capacity) {
            // Runs even when the pool is stopping: a promise is waiting on it.
            work()
            core.locked { $0.outstanding -= 1 }
        }
    }

    /// Runs `work` on a WAF thread ahead of queued request inspections; never refused.
    func submit(_ work: @escaping Job) {
        _ = self.core.enqueue(urgent: true, admitBelow: nil, work)
    }

    /// Hands `completion` to `loop`. Completions are batched: a WAF thread passes them on when no
    /// more work is queued, when 8 are waiting, or when the oldest has waited 5 ms, in one
    /// `execute` per event loop. Each `execute` from another thread wakes the loop, and on a busy
    /// core the woken loop preempts the WAF thread mid-inspection: one wake per request (two with
    /// phase 3) cost more CPU than the inspections' own growth. Idle pools answer at once.
    func deliver(on loop: any EventLoop, _ completion: @escaping @Sendable () -> Void) {
        self.core.deliver(on: loop, completion)
    }

    /// Runs the queued work, then stops the threads and waits for them. Idempotent.
    func shutdown() {
        if self.core.stop() { self.core.exited.wait() }
    }

    deinit {
        _ = self.core.stop()
    }

    private final class Core: @unchecked Sendable {
        let condition = NSCondition()
        let exited = DispatchGroup()
        // Guarded by `condition`.
        var urgent: [Job] = []
        var urgentHead = 0
        var normal: [Job] = []
        var normalHead = 0
        var outstanding = 0
        var stopping = false
        var pending: [(loop: any EventLoop, completion: @Sendable () -> Void)] = []
        var oldestPending: UInt64 = 0
        static let batchSize = 8
        static let batchDelayNanos: UInt64 = 5_000_000

        func deliver(on loop: any EventLoop, _ completion: @escaping @Sendable () -> Void) {
            self.condition.lock()
            if self.stopping {
                // No worker may be left to pass it on.
                self.condition.unlock()
                loop.execute(completion)
                return
            }
            if self.pending.isEmpty { self.oldestPending = DispatchTime.now().uptimeNanoseconds }
            self.pending.append((loop, completion))
            self.condition.unlock()
        }

        /// Called with the lock held after a job: the completions to pass on now, if any.
        func takeDueCompletions() -> [(loop: any EventLoop, completion: @Sendable () -> Void)] {
            guard !self.pending.isEmpty else { return [] }
            let idle = self.urgentHead >= self.urgent.count && self.normalHead >= self.normal.count
            guard idle || self.stopping || self.pending.count >= Self.batchSize
                || DispatchTime.now().uptimeNanoseconds &- self.oldestPending >= Self.batchDelayNanos
            else { return [] }
            defer { self.pending.removeAll(keepingCapacity: true) }
            return self.pending
        }

        static func pass(_ due: [(loop: any EventLoop, completion: @Sendable () -> Void)]) {
            if due.count == 1 { return due[0].loop.execute(due[0].completion) }
            var byLoop: [ObjectIdentifier: (any EventLoop, [@Sendable () -> Void])] = [:]
            for (loop, completion) in due {
                byLoop[ObjectIdentifier(loop), default: (loop, [])].1.append(completion)
            }
            for (loop, completions) in byLoop.values {
                loop.execute { for completion in completions { completion() } }
            }
        }

        func locked<T>(_ body: (Core) -> T) -> T {
            self.condition.lock()
            defer { self.condition.unlock() }
            return body(self)
        }

        /// Queues `job`; with `admitBelow`, only while fewer admitted inspections are outstanding.
        /// After `stop()` the job runs at once on the caller's thread (a promise may be waiting on it),
        /// as NIO's thread pool did.
        func enqueue(urgent: Bool, admitBelow capacity: Int?, _ job: @escaping Job) -> Bool {
            self.condition.lock()
            if let capacity {
                guard self.outstanding < capacity else {
                    self.condition.unlock()
                    return false
                }
                self.outstanding += 1
            }
            if self.stopping {
                self.condition.unlock()
                job()
                return true
            }
            if urgent { self.urgent.append(job) } else { self.normal.append(job) }
            self.condition.signal()
            self.condition.unlock()
            return true
        }

        /// `true` the first time.
        func stop() -> Bool {
            self.condition.lock()
            defer { self.condition.unlock() }
            let first = !self.stopping
            self.stopping = true
            self.condition.broadcast()
            return first
        }

        func work() {
            self.condition.lock()
            while true {
                if let job = Self.pop(&self.urgent, &self.urgentHead) ?? Self.pop(&self.normal, &self.normalHead) {
                    self.condition.unlock()
                    job()
                    self.condition.lock()
                    let due = self.takeDueCompletions()
                    if !due.isEmpty {
                        self.condition.unlock()
                        Self.pass(due)
                        self.condition.lock()
                    }
                    continue
                }
                if self.stopping {
                    self.condition.unlock()
                    return
                }
                self.condition.wait()
            }
        }

        /// FIFO pop from an array with a moving head (compacted once half of it is consumed).
        static func pop(_ queue: inout [Job], _ head: inout Int) -> Job? {
            guard head < queue.count else { return nil }
            let job = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64, head * 2 >= queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }
}
