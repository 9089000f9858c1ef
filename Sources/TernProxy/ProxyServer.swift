import Atomics
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TernConfig
import TernCore
import TernLimits

/// The running data plane: listeners, per-loop state, health probers, graceful drain.
public final class ProxyServer: Sendable {
    public let runtime: ProxyRuntime
    private let group: any EventLoopGroup
    private let loopContexts: [ObjectIdentifier: LoopContextBox]
    private let listeners: NIOLockedValueBox<[any Channel]>
    private let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let prober: HealthProber
    private let sweeper = NIOLockedValueBox<RepeatedTask?>(nil)
    private let logger: Logger

    /// The addresses actually bound (ports resolved when the configuration asked for port 0).
    public var boundAddresses: [SocketAddress] {
        self.listeners.withLockedValue { $0.compactMap(\.localAddress) }
    }

    /// Binds every listener and starts the health probers.
    public init(runtime: ProxyRuntime, group: any EventLoopGroup, logger: Logger) throws {
        self.runtime = runtime
        self.group = group
        self.logger = logger
        var contexts: [ObjectIdentifier: LoopContextBox] = [:]
        for loop in group.makeIterator() {
            let context = try loop.submit { LoopContextBox(LoopContext(eventLoop: loop, runtime: runtime)) }.wait()
            contexts[ObjectIdentifier(loop)] = context
        }
        self.loopContexts = contexts
        self.listeners = NIOLockedValueBox([])
        self.prober = HealthProber(pools: runtime.pools, group: group, logger: logger)

        let limits = runtime.configuration.limits
        var decoderLimits = HTTP1DecoderLimits()
        decoderLimits.maxHeaderListSize = Int(limits.maxHeaderBytes.bytes)
        decoderLimits.maxHeaderFieldSize = Int(limits.maxHeaderBytes.bytes)
        decoderLimits.maxHeaderCount = limits.maxHeaderCount
        // Request lines up to twice the URI limit parse (and get 414 from the handler); longer ones
        // get 414 from the decoder without being buffered whole.
        decoderLimits.maxStartLine = max(2 * Int(min(limits.maxURIBytes.bytes, 1 << 24)), 16 * 1024)
        let httpDecoderLimits = decoderLimits
        let maxConnections = limits.maxConnections
        let stats = runtime.stats

        let security = runtime.security
        let maxPerClient = runtime.configuration.limits.maxConnectionsPerClient
        for (listenerIndex, listener) in runtime.configuration.listeners.enumerated() {
            let proxyProtocol = listener.proxyProtocol
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { [contexts, connections] channel in
                    let open = stats.connectionsOpen.wrappingIncrementThenLoad(ordering: .relaxed)
                    stats.connectionsAccepted.wrappingIncrement(ordering: .relaxed)
                    let id = ObjectIdentifier(channel)
                    connections.withLockedValue { $0[id] = channel }
                    channel.closeFuture.whenComplete { _ in
                        stats.connectionsOpen.wrappingDecrement(ordering: .relaxed)
                        connections.withLockedValue { _ = $0.removeValue(forKey: id) }
                    }
                    if open > maxConnections {
                        stats.connectionsRejected.wrappingIncrement(ordering: .relaxed)
                        return channel.close()
                    }
                    // Concurrent connections per client (socket address), when limited.
                    if maxPerClient > 0, let gate = security, let address = channel.remoteAddress?.ipAddress {
                        let key = RateLimitKey("conn:\(address)")
                        guard gate.connections.tryAcquire(key, max: maxPerClient) else {
                            stats.connectionsRejected.wrappingIncrement(ordering: .relaxed)
                            return channel.close()
                        }
                        channel.closeFuture.whenComplete { _ in gate.connections.release(key) }
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        guard let loop = contexts[ObjectIdentifier(channel.eventLoop)] else {
                            throw ChannelError.ioOnClosedChannel
                        }
                        if proxyProtocol {
                            try channel.pipeline.syncOperations.addHandler(ProxyProtocolHandler())
                        }
                        // With a WAF audit log, the raw head of a request the parser refuses is kept for it.
                        let capture = security?.waf?.settings.auditLogPath != nil ? RawRequestCapture() : nil
                        if let capture { try channel.pipeline.syncOperations.addHandler(capture) }
                        // Tern's request decoder (HTTP1Decoders.swift) and lean response encoder (HTTP1Encoders.swift).
                        // No pipelining assistance (ProxyHandler queues pipelined requests itself), no NIO
                        // error handler (ProxyHandler answers parser errors), no outbound header validation
                        // (response fields come from parsed and checked origin responses or from Tern itself).
                        let encoder = ResponseEncoder()
                        try channel.pipeline.syncOperations.addHandler(encoder)
                        // Phase 3 of the WAF holds responses between the handler and the encoder.
                        let gate = security?.waf?.runsResponseHeaderPhase == true ? WAFResponseGate(encoder: encoder) : nil
                        let handler = ProxyHandler(
                            loop: loop.context, listenerIndex: listenerIndex, capture: capture, encoder: encoder, gate: gate
                        )
                        try channel.pipeline.syncOperations.addHandler(RequestDecoder(limits: httpDecoderLimits, handler: handler))
                        if let gate { try channel.pipeline.syncOperations.addHandler(gate) }
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
            do {
                let channel = try bootstrap.bind(host: listener.address.host, port: listener.address.port).wait()
                self.listeners.withLockedValue { $0.append(channel) }
                logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            } catch {
                self.closeListeners()
                throw TernProxyError.cannotBind(address: listener.address.description, reason: "\(error)")
            }
        }
        self.prober.start()
        // Idle rate-limit keys are dropped every 10 s (the table's key cap bounds memory regardless).
        if let gate = runtime.security {
            let sweep = group.next().scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { _ in
                _ = gate.rateLimiter.expire(now: Int64(NIODeadline.now().uptimeNanoseconds))
            }
            self.sweeper.withLockedValue { $0 = sweep }
        }
    }

    private func closeListeners() {
        let channels = self.listeners.withLockedValue { $0 }
        for channel in channels { try? channel.close().wait() }
    }

    /// Stops accepting, lets in-flight requests finish for up to `timeout`, then closes the rest.
    public func shutdown(timeout: TimeAmount) {
        self.prober.stop()
        self.sweeper.withLockedValue { $0?.cancel() }
        self.closeListeners()
        let open = self.connections.withLockedValue { Array($0.values) }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(DrainConnectionEvent())
        }
        let deadline = NIODeadline.now() + timeout
        while NIODeadline.now() < deadline, self.connections.withLockedValue({ !$0.isEmpty }) {
            usleep(10_000)
        }
        let remaining = self.connections.withLockedValue { Array($0.values) }
        if !remaining.isEmpty {
            self.logger.warning("closing connections still open after the drain timeout", metadata: ["count": "\(remaining.count)"])
        }
        for channel in remaining { channel.close(promise: nil) }
        for box in self.loopContexts.values {
            try? box.context.eventLoop.submit { box.context.closeIdleConnections() }.wait()
        }
        self.runtime.accessLog?.close()
    }

    /// Number of open client connections.
    public var openConnections: Int { self.connections.withLockedValue { $0.count } }

    /// Upstream connections opened so far, summed over every loop (for tests and stats).
    public func upstreamConnectionsOpened() throws -> Int {
        var total = 0
        for box in self.loopContexts.values {
            total += try box.context.eventLoop.submit {
                box.context.connectionPools.joined().reduce(0) { $0 + $1.connectionsOpened }
            }.wait()
        }
        return total
    }
}

/// Carries a loop-bound `LoopContext` across the `Sendable` boundary; only touched on its loop.
final class LoopContextBox: @unchecked Sendable {
    let context: LoopContext
    init(_ context: LoopContext) { self.context = context }
}
