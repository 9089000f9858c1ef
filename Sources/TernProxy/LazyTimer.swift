import NIOCore

/// A cheap, re-armable deadline on one event loop.
///
/// Setting ``deadline`` costs no allocation while a task is already scheduled: the scheduled task
/// fires at its original time, sees a later deadline and re-schedules itself for it. So a timer
/// that is pushed forward on every request or body chunk schedules at most one task per period.
/// Not thread-safe: use it only on its event loop.
final class LazyTimer {
    private let eventLoop: any EventLoop
    private var scheduled: Scheduled<Void>?
    private var scheduledAt: NIODeadline = .distantFuture
    private let onFire: () -> Void

    /// When the timer should fire; `nil` disarms it.
    var deadline: NIODeadline? {
        didSet {
            guard let deadline = self.deadline else { return }
            if self.scheduled == nil {
                self.schedule(at: deadline)
            } else if deadline < self.scheduledAt {
                self.scheduled?.cancel()
                self.schedule(at: deadline)
            }
        }
    }

    init(eventLoop: any EventLoop, onFire: @escaping () -> Void) {
        self.eventLoop = eventLoop
        self.onFire = onFire
    }

    private func schedule(at deadline: NIODeadline) {
        self.scheduledAt = deadline
        self.scheduled = self.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(deadline: deadline) { [self] in
            self.fired()
        }
    }

    private func fired() {
        self.scheduled = nil
        guard let deadline = self.deadline else { return }
        if NIODeadline.now() >= deadline {
            self.deadline = nil
            self.onFire()
        } else {
            self.schedule(at: deadline)
        }
    }

    /// Disarms the timer and cancels its task (call when the owner goes away).
    func cancel() {
        self.deadline = nil
        self.scheduled?.cancel()
        self.scheduled = nil
    }
}
