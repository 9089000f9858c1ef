import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import TernConfig

/// The admin listener: `/healthz`, `/readyz`, `/stats`, `/metrics`, `POST /purge` and the dashboard at `/`,
/// served over HTTP/1.1 on its own address (``AdminConfig/listen``), never on a data listener.
public final class AdminServer: Sendable {
    /// The bound port (useful with port 0).
    public let port: Int
    /// The bound address, e.g. `127.0.0.1:9090`.
    public let address: String
    private let channel: any Channel
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>

    /// Binds the admin listener, resolving the token from `configuration` (environment variable or file).
    ///
    /// Blocks until bound; call it outside the event loops. Throws ``AdminTokenError`` for an unreadable
    /// `token_file`, or the bind error.
    public convenience init(configuration: AdminConfig, backend: any AdminBackend, group: any EventLoopGroup) throws {
        let token = try configuration.resolveToken()
        try self.init(configuration: configuration, token: token, backend: backend, group: group)
    }

    /// Binds the admin listener with an already resolved `token` (nil: mutating endpoints refused with 403).
    public init(configuration: AdminConfig, token: String?, backend: any AdminBackend, group: any EventLoopGroup) throws {
        let responder = AdminResponder(backend: backend, token: token, allow: configuration.allow, hosts: configuration.allowedHosts)
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        self.connections = connections
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let id = ObjectIdentifier(channel)
                connections.withLockedValue { $0[id] = channel }
                channel.closeFuture.whenComplete { _ in
                    _ = connections.withLockedValue { $0.removeValue(forKey: id) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        IdleStateHandler(readTimeout: .seconds(60))
                    )
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(AdminIdleCloser())
                    try channel.pipeline.syncOperations.addHandler(AdminRequestHandler(responder: responder))
                }
            }
            .bind(host: configuration.listen.host, port: configuration.listen.port)
            .wait()
        self.channel = channel
        self.port = channel.localAddress?.port ?? configuration.listen.port
        let host = configuration.listen.host
        self.address = "\(host.contains(":") ? "[\(host)]" : host):\(self.port)"
    }

    /// Stops listening and closes open admin connections. The returned future completes when the listener is
    /// closed; `wait()` on it only outside the event loops.
    @discardableResult
    public func shutdown() -> EventLoopFuture<Void> {
        let open = self.connections.withLockedValue { Array($0.values) }
        for connection in open { connection.close(promise: nil) }
        return self.channel.close().flatMapErrorThrowing { error in
            if let error = error as? ChannelError, error == .alreadyClosed { return }
            throw error
        }
    }
}

/// Closes a connection that has been silent for the read timeout.
final class AdminIdleCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
