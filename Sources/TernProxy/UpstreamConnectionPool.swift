import NIOCore
import NIOHTTP1
import NIOPosix
import TernConfig

/// Someone waiting for an upstream connection (an exchange in the proxy handler).
protocol UpstreamConnectionRequester: AnyObject {
    func connectionReady(_ connection: UpstreamConnection)
    func connectionFailed(_ error: any Error)
}

/// Keep-alive connections to one origin member, owned by one event loop.
///
/// Limits are per member *per event loop* (like nginx's per-worker `keepalive`): `maxIdle` idle
/// connections are kept, at most `maxTotal` are open or opening; further requesters wait in FIFO
/// order. Idle connections are closed after `idleTimeout`. Not thread-safe: loop-bound.
final class UpstreamConnectionPool {
    let member: OriginMember
    private let eventLoop: any EventLoop
    private let limits: ConnectionPoolConfig
    private let connectTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let responseLimits: HTTP1DecoderLimits

    private var idle: [UpstreamConnection] = []
    private var total = 0 {
        didSet { self.member.openConnections.wrappingIncrement(by: self.total - oldValue, ordering: .relaxed) }
    }
    private var waiters = CircularBuffer<any UpstreamConnectionRequester>()
    private lazy var idleReaper = LazyTimer(eventLoop: self.eventLoop) { [weak self] in self?.reapIdle() }

    /// Connections opened since start (for tests and stats).
    private(set) var connectionsOpened = 0

    init(
        member: OriginMember, eventLoop: any EventLoop, limits: ConnectionPoolConfig, connectTimeout: TimeAmount,
        responseLimits: HTTP1DecoderLimits = HTTP1DecoderLimits()
    ) {
        self.member = member
        self.responseLimits = responseLimits
        self.eventLoop = eventLoop
        self.limits = limits
        self.connectTimeout = connectTimeout
        self.idleTimeout = TimeAmount(limits.idleTimeout)
    }

    var idleCount: Int { self.idle.count }
    var openCount: Int { self.total }

    /// Hands `requester` a connection: an idle one synchronously, else a new one, else it queues.
    /// `forceNew` skips idle connections (the retry after a stale keep-alive connection).
    func acquire(for requester: any UpstreamConnectionRequester, forceNew: Bool = false) {
        if !forceNew {
            while let connection = self.idle.popLast() {
                if connection.handler.isActive {
                    requester.connectionReady(connection)
                    return
                }
            }
        }
        if self.total < self.limits.maxTotal {
            self.connect(for: requester)
        } else {
            self.waiters.append(requester)
        }
    }

    /// Withdraws a queued requester (its client went away).
    func cancelWaiting(_ requester: any UpstreamConnectionRequester) {
        if let index = self.waiters.firstIndex(where: { $0 === requester }) {
            self.waiters.remove(at: index)
        }
    }

    /// Returns a connection after an exchange. A reusable one goes to a waiter or the idle stack.
    func release(_ connection: UpstreamConnection, reusable: Bool) {
        connection.handler.delegate = nil
        guard reusable, connection.handler.isActive else {
            connection.handler.close()
            return
        }
        connection.reused = true
        if let waiter = self.waiters.popFirst() {
            waiter.connectionReady(connection)
            return
        }
        if self.idle.count >= self.limits.maxIdle {
            connection.handler.close()
            return
        }
        connection.idleSince = .now()
        self.idle.append(connection)
        if self.idleReaper.deadline == nil {
            self.idleReaper.deadline = connection.idleSince + self.idleTimeout
        }
    }

    /// Closes every idle connection (shutdown).
    func closeIdle() {
        let connections = self.idle
        self.idle.removeAll()
        for connection in connections { connection.handler.close() }
        self.idleReaper.cancel()
    }

    private func reapIdle() {
        let cutoff = NIODeadline.now() - self.idleTimeout
        var kept: [UpstreamConnection] = []
        for connection in self.idle {
            if connection.idleSince <= cutoff {
                connection.handler.close()
            } else {
                kept.append(connection)
            }
        }
        self.idle = kept
        if let oldest = kept.map(\.idleSince).min() {
            self.idleReaper.deadline = oldest + self.idleTimeout
        }
    }

    private func connectionClosed(_ connection: UpstreamConnection) {
        self.total -= 1
        if let index = self.idle.firstIndex(where: { $0 === connection }) {
            self.idle.remove(at: index)
        }
        if let waiter = self.waiters.popFirst() {
            self.connect(for: waiter)
        }
    }

    private func connect(for requester: any UpstreamConnectionRequester) {
        self.total += 1
        self.connectionsOpened += 1
        let responseLimits = self.responseLimits
        let bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(self.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // One handler: it encodes requests (HTTP1Encoders.swift; request fields were parsed and
                    // checked by Tern's request decoder or generated here, so no outbound validation) and
                    // parses responses (HTTP1Decoders.swift), so it knows which answer HEAD.
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(limits: responseLimits))
                }
            }
        bootstrap.connect(to: self.member.address).assumeIsolatedUnsafeUnchecked().whenComplete { result in
            switch result {
            case .success(let channel):
                guard let handler = try? channel.pipeline.syncOperations.handler(type: UpstreamHandler.self) else {
                    self.total -= 1
                    channel.close(promise: nil)
                    requester.connectionFailed(ChannelError.ioOnClosedChannel)
                    return
                }
                let connection = UpstreamConnection(channel: channel, handler: handler, pool: self)
                if handler.isActive, channel.isActive {
                    handler.onClose = { [weak self] in self?.connectionClosed(connection) }
                    requester.connectionReady(connection)
                } else {
                    self.total -= 1
                    requester.connectionFailed(ChannelError.eof)
                }
            case .failure(let error):
                self.total -= 1
                requester.connectionFailed(error)
                if let waiter = self.waiters.popFirst(), self.total < self.limits.maxTotal {
                    self.connect(for: waiter)
                }
            }
        }
    }
}
