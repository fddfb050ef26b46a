import NIOCore
import NIOPosix

/// Answers uTP connection attempts (BEP 29 `ST_SYN`) on the listen port with `ST_RESET`.
///
/// NERD speaks BitTorrent over TCP only. libtorrent dials uTP first; without an answer the
/// attempt only ends at a timeout. A reset ends it at once, so a client that falls back to
/// TCP does so quickly (libtorrent then tries encrypted TCP, which NERD closes, then plain
/// TCP). Peers NERD is told about (`--peer`) are dialled by NERD itself, which always works.
/// Replies are capped per second, so the port cannot be used to reflect traffic.
final class UTPRefuser: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private var windowStart = NIODeadline.now()
    private var repliesInWindow = 0
    private static let maxRepliesPerSecond = 200

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        var packet = envelope.data
        // Header: type<<4|version, extension, connection_id, timestamp, timestamp_diff,
        // wnd_size, seq_nr, ack_nr (20 bytes, big-endian).
        guard packet.readableBytes >= 20, let first = packet.readInteger(as: UInt8.self),
            first == 0x41,  // ST_SYN, version 1
            packet.readInteger(as: UInt8.self) != nil,
            let connectionID = packet.readInteger(as: UInt16.self)
        else { return }
        packet.moveReaderIndex(forwardBy: 12)
        guard let seq = packet.readInteger(as: UInt16.self) else { return }

        let now = NIODeadline.now()
        if now - windowStart > .seconds(1) {
            windowStart = now
            repliesInWindow = 0
        }
        guard repliesInWindow < Self.maxRepliesPerSecond else { return }
        repliesInWindow += 1

        var reply = context.channel.allocator.buffer(capacity: 20)
        reply.writeInteger(UInt8(0x31))  // ST_RESET, version 1
        reply.writeInteger(UInt8(0))
        reply.writeInteger(connectionID)
        reply.writeInteger(UInt32(truncatingIfNeeded: now.uptimeNanoseconds / 1000))
        reply.writeInteger(UInt32(0))
        reply.writeInteger(UInt32(0))
        reply.writeInteger(UInt16(0))
        reply.writeInteger(seq)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: reply)), promise: nil)
    }
}
