import NIOConcurrencyHelpers
import NIOPosix

/// The dedicated WAF threads (never event loops) with a bounded admission count.
///
/// `trySubmit` admits at most `threads + queueLimit` outstanding request inspections; the caller turns a
/// refusal into fail-open or fail-closed. Response inspection and transaction clean-up use `submit`,
/// which is never refused: those transactions were already admitted and must release their memory.
final class WAFWorkerPool: Sendable {
    let threads: Int
    private let threadPool: NIOThreadPool
    private let outstanding = NIOLockedValueBox(0)
    private let stopped = NIOLockedValueBox(false)

    init(threads: Int) {
        self.threads = max(1, threads)
        self.threadPool = NIOThreadPool(numberOfThreads: self.threads)
        self.threadPool.start()
    }

    /// Outstanding admitted request inspections (running + queued).
    var outstandingCount: Int { self.outstanding.withLockedValue { $0 } }

    /// Runs `work` on a WAF thread unless `threads + queueLimit` inspections are already outstanding.
    func trySubmit(queueLimit: Int, _ work: @escaping @Sendable () -> Void) -> Bool {
        let capacity = self.threads + max(0, queueLimit)
        let admitted = self.outstanding.withLockedValue { count -> Bool in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admitted else { return false }
        self.threadPool.submit { _ in
            // Run even when the pool is shutting down (state .cancelled): a promise is waiting on it.
            defer { self.outstanding.withLockedValue { $0 -= 1 } }
            work()
        }
        return true
    }

    /// Runs `work` on a WAF thread; never refused.
    func submit(_ work: @escaping @Sendable () -> Void) {
        self.threadPool.submit { _ in work() }
    }

    /// Waits for queued work and stops the threads. Idempotent.
    func shutdown() {
        let first = self.stopped.withLockedValue { stopped -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first { try? self.threadPool.syncShutdownGracefully() }
    }

    deinit {
        if !self.stopped.withLockedValue({ $0 }) {
            self.threadPool.shutdownGracefully { _ in }
        }
    }
}
