import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TernBalancer
import TernConfig

/// Active health checks: one probe per member per interval (`GET <path>` on a fresh connection),
/// feeding each member's shared ``MemberHealth`` state machine.
final class HealthProber: Sendable {
    private let pools: [OriginPool]
    private let group: any EventLoopGroup
    private let logger: Logger
    private let tasks = NIOLockedValueBox<[RepeatedTask]>([])

    init(pools: [OriginPool], group: any EventLoopGroup, logger: Logger) {
        self.pools = pools
        self.group = group
        self.logger = logger
    }

    func start() {
        for pool in self.pools {
            guard let check = pool.config.healthCheck else { continue }
            for member in pool.members {
                let loop = self.group.next()
                let interval = TimeAmount(check.interval)
                let task = loop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: interval) { task in
                    Self.probe(member: member, check: check, on: loop).map { success in
                        // Transitions are logged and counted by the pool's health state.
                        member.recordProbe(success: success, now: .now(), on: loop)
                    }
                }
                self.tasks.withLockedValue { $0.append(task) }
            }
        }
    }

    func stop() {
        let tasks = self.tasks.withLockedValue { tasks in
            defer { tasks.removeAll() }
            return tasks
        }
        for task in tasks { task.cancel() }
    }

    /// One probe: succeeds when the response status is in the expected range within the timeout.
    static func probe(member: OriginMember, check: HealthCheckConfig, on loop: any EventLoop) -> EventLoopFuture<Bool> {
        let timeout = TimeAmount(check.timeout)
        let promise = loop.makePromise(of: Bool.self)
        let host = member.authority
        let path = check.path
        let expected = check.expectStatus
        ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ProbeHandler(promise: promise, expected: expected))
                }
            }
            .connect(to: member.address)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: host)
                    headers.add(name: "User-Agent", value: "tern-health-check")
                    headers.add(name: "Connection", value: "close")
                    channel.write(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)), promise: nil)
                    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                    let timer = loop.scheduleTask(in: timeout) {
                        promise.succeed(false)
                        channel.close(promise: nil)
                    }
                    promise.futureResult.whenComplete { _ in
                        timer.cancel()
                        channel.close(promise: nil)
                    }
                case .failure:
                    promise.succeed(false)
                }
            }
        return promise.futureResult
    }
}

/// Completes the probe's promise with whether the response status was expected.
private final class ProbeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<Bool>
    private let expected: ClosedRange<Int>
    private var done = false

    init(promise: EventLoopPromise<Bool>, expected: ClosedRange<Int>) {
        self.promise = promise
        self.expected = expected
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = self.unwrapInboundIn(data), !self.done {
            self.done = true
            self.promise.succeed(self.expected.contains(Int(head.status.code)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.succeed(false)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.done {
            self.done = true
            self.promise.succeed(false)
        }
        context.close(promise: nil)
    }
}
