import NERDWire
import NIOCore

/// Serves BEP 15 on one UDP socket: connect, announce, scrape.
///
/// Packets that are short, oversized, of an unknown action or with a wrong protocol ID are
/// dropped without a reply (no reply storm, no reflection); an announce or scrape with a
/// connection ID that is forged or expired gets one small error packet, no larger than the
/// request. Replies are flushed once per read batch.
final class UDPTrackerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let server: TrackerServer.Core
    private var pendingFlush = false

    init(server: TrackerServer.Core) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let message = UDPTrackerMessage.parseRequest(envelope.data), let ip = envelope.remoteAddress.ipBytes,
              let remotePort = envelope.remoteAddress.port
        else {
            server.metrics.droppedPackets.increment()
            return
        }
        let now = server.registry.now
        let port = UInt16(truncatingIfNeeded: remotePort)
        let reply: UDPTrackerMessage
        switch message {
        case .connectRequest(let tid):
            server.metrics.udpConnects.increment()
            reply = .connectResponse(transactionID: tid, connectionID: server.connectionIDs.issue(address: ip, port: port, now: now))
        case .announceRequest(let cid, let tid, let request):
            guard server.connectionIDs.isValid(cid, address: ip, port: port, now: now) else {
                server.metrics.badRequests.increment()
                reply = .error(transactionID: tid, message: "bad connection ID")
                break
            }
            server.metrics.udpAnnounces.increment()
            do {
                let result = try server.registry.announce(request, compactAddress: ip + [UInt8(request.port >> 8), UInt8(request.port & 0xFF)])
                var buffer = context.channel.allocator.buffer(capacity: 20 + max(result.peers4.count, result.peers6.count))
                buffer.writeMultipleIntegers(UDPTrackerMessage.Action.announce.rawValue, tid, UInt32(server.interval),
                                             UInt32(clamping: result.incomplete), UInt32(clamping: result.complete))
                buffer.writeBytes(ip.count == 4 ? result.peers4 : result.peers6)
                write(context: context, buffer: buffer, to: envelope.remoteAddress)
                return
            } catch {
                if error.code == .notAllowed { server.metrics.notAllowed.increment() }
                reply = .error(transactionID: tid, message: error.message)
            }
        case .scrapeRequest(let cid, let tid, let hashes):
            guard server.connectionIDs.isValid(cid, address: ip, port: port, now: now) else {
                server.metrics.badRequests.increment()
                reply = .error(transactionID: tid, message: "bad connection ID")
                break
            }
            server.metrics.scrapes.increment()
            reply = .scrapeResponse(transactionID: tid, entries: server.registry.scrape(hashes))
        default:
            server.metrics.droppedPackets.increment()
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        reply.write(to: &buffer)
        write(context: context, buffer: buffer, to: envelope.remoteAddress)
    }

    private func write(context: ChannelHandlerContext, buffer: ByteBuffer, to address: SocketAddress) {
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: address, data: buffer)), promise: nil)
        pendingFlush = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A failed send (ICMP unreachable reported on the socket) must not close the tracker's socket.
        server.logger.debug("udp error", metadata: ["error": "\(error)"])
    }
}
