import NERDWire
import NIOCore

/// One connection used only to fetch metadata: handshake, extended handshake, then
/// `ut_metadata` requests until the assembly is complete. Other messages are ignored.
final class MetadataPeerHandler: ChannelInboundHandler {
    typealias InboundIn = PeerWireFrame
    typealias OutboundOut = PeerWireFrame

    /// The ID we ask peers to send `ut_metadata` messages under.
    static let localID: UInt8 = 1
    /// A peer that moves nothing for this long is dropped.
    static let idleTimeout = TimeAmount.seconds(20)

    private let assembly: MetadataAssembly
    private let address: PeerAddress
    private let infoHash: [UInt8]
    private let peerID: [UInt8]
    private var remoteID: UInt8?
    /// Pieces asked of this peer and not yet answered; pieces ever asked of it.
    private var outstanding = Set<Int>()
    private var asked = Set<Int>()
    private var idle: Scheduled<Void>?

    init(assembly: MetadataAssembly, address: PeerAddress, infoHash: [UInt8], peerID: [UInt8]) {
        self.assembly = assembly
        self.address = address
        self.infoHash = infoHash
        self.peerID = peerID
    }

    func channelActive(context: ChannelHandlerContext) {
        assembly.attached(context.channel, address: address)
        context.writeAndFlush(wrapOutboundOut(.handshake(Handshake(infoHash: infoHash, peerID: peerID))), promise: nil)
        armIdleTimer(context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        idle?.cancel()
        assembly.detached(context.channel)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        armIdleTimer(context)
        switch unwrapInboundIn(data) {
        case .handshake(let handshake):
            guard handshake.infoHash == infoHash, handshake.peerID != peerID, handshake.reserved.contains(.extensionProtocol) else {
                context.close(promise: nil)
                return
            }
            let ours = ExtensionHandshake(messageIDs: ["ut_metadata": Self.localID], client: "NERD 0.1")
            context.writeAndFlush(wrapOutboundOut(.message(.extended(id: 0, payload: ByteBuffer(bytes: ours.payload)))), promise: nil)
        case .message(.extended(let id, let payload)):
            do throws(WireError) {
                if id == 0 {
                    let theirs = try ExtensionHandshake(payload: Array(payload.readableBytesView))
                    guard let remote = theirs.messageIDs["ut_metadata"], remote != 0, let size = theirs.metadataSize,
                          assembly.sizeAnnounced(size, by: address)
                    else {
                        context.close(promise: nil)
                        return
                    }
                    remoteID = remote
                    requestMore(context)
                } else if id == Self.localID {
                    switch try MetadataMessage(payload: Array(payload.readableBytesView)) {
                    case .data(let piece, let total, let bytes):
                        // Only pieces we asked this peer for are kept.
                        guard outstanding.remove(piece) != nil else { return }
                        assembly.received(piece: piece, totalSize: total, bytes: bytes, from: address)
                        requestMore(context)
                    case .reject:
                        // This peer will not share metadata (yet); others may.
                        context.close(promise: nil)
                    case .request(let piece):
                        // We have nothing to give while fetching.
                        send(.reject(piece: piece), context)
                    }
                }
            } catch {
                assembly.logger.debug("bad ut_metadata message", metadata: ["peer": "\(address)", "error": "\(error)"])
                context.close(promise: nil)
            }
        case .message:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    private func requestMore(_ context: ChannelHandlerContext) {
        for piece in assembly.piecesToRequest(from: address, limit: 4 - outstanding.count, excluding: asked) {
            outstanding.insert(piece)
            asked.insert(piece)
            send(.request(piece: piece), context)
        }
    }

    private func send(_ message: MetadataMessage, _ context: ChannelHandlerContext) {
        guard let remoteID else { return }
        context.writeAndFlush(wrapOutboundOut(.message(.extended(id: remoteID, payload: ByteBuffer(bytes: message.payload)))),
                              promise: nil)
    }

    private func armIdleTimer(_ context: ChannelHandlerContext) {
        idle?.cancel()
        let channel = context.channel
        idle = context.eventLoop.scheduleTask(in: Self.idleTimeout) { channel.close(promise: nil) }
    }
}
