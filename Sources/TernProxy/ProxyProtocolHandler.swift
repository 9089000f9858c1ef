import NIOCore
import TernCore
import TernLimits

/// The client address a PROXY protocol header announced (delivered before any request).
struct ProxyProtocolAddressEvent {
    let source: IPAddress?
}

/// Reads the PROXY protocol v1/v2 header that a load balancer in front sends first on each
/// connection (listeners with `proxy_protocol: true`), announces the real client address, then
/// removes itself. A connection without a valid header is closed.
final class ProxyProtocolHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var buffered: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        if var existing = self.buffered {
            existing.writeBuffer(&incoming)
            incoming = existing
        }
        switch ProxyProtocol.parse(incoming) {
        case .needMoreData:
            self.buffered = incoming
        case .invalid:
            context.close(promise: nil)
        case .header(let header):
            incoming.moveReaderIndex(forwardBy: header.consumed)
            self.buffered = nil
            context.fireUserInboundEventTriggered(ProxyProtocolAddressEvent(source: header.isLocal ? nil : header.source))
            if incoming.readableBytes > 0 {
                context.fireChannelRead(self.wrapInboundOut(incoming))
            }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
