import NIOCore

/// Writes ``PeerWireFrame``s. Block data of `.piece` messages goes out as its own buffer
/// after a 13-byte header, never copied.
public final class PeerWireEncoder: ChannelOutboundHandler, Sendable {
    public typealias OutboundIn = PeerWireFrame
    public typealias OutboundOut = ByteBuffer

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .handshake(let handshake):
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: handshake.bytes)), promise: promise)
        case .message(let message):
            var header = context.channel.allocator.buffer(capacity: 17)
            switch message {
            case .piece(_, _, let block):
                message.writeHeader(into: &header)
                context.write(wrapOutboundOut(header), promise: nil)
                context.write(wrapOutboundOut(block), promise: promise)
            default:
                message.write(into: &header)
                context.write(wrapOutboundOut(header), promise: promise)
            }
        }
    }
}
