import Logging
import NERDWire
import NIOCore

/// Runs one peer connection: exchanges handshakes, then hands each message to the torrent.
/// Lives on the session's event loop, like the torrent it serves.
final class PeerChannelHandler: ChannelInboundHandler {
    typealias InboundIn = PeerWireFrame
    typealias OutboundOut = PeerWireFrame

    private let session: SwarmSession
    private var torrent: Torrent?
    private var peer: Peer?
    private let address: PeerAddress
    private let isOutgoing: Bool
    /// Outgoing: whether this attempt opened with an MSE handshake.
    private let dialledEncrypted: Bool
    private var encryption = ConnectionEncryption.none
    private var handshakeTimeout: Scheduled<Void>?

    /// - Parameters:
    ///   - torrent: set for outgoing connections, found by info-hash for incoming ones.
    ///   - encrypted: outgoing only: the connection opens with an MSE handshake.
    /// The info-hash the peer's encrypted handshake was made for, if it used one.
    private var encryptedFor: [UInt8]?

    init(session: SwarmSession, torrent: Torrent?, address: PeerAddress, encrypted: Bool = false) {
        self.session = session
        self.torrent = torrent
        self.address = address
        self.isOutgoing = torrent != nil
        self.dialledEncrypted = encrypted
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let established = event as? PeerEncryptionEstablished {
            encryption = established.method == .rc4 ? .rc4 : .plaintext
            encryptedFor = established.infoHash
            session.logger.debug("encrypted handshake done", metadata: ["peer": "\(address)", "stream": "\(established.method)",
                                                                        "outgoing": "\(isOutgoing)"])
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelActive(context: ChannelHandlerContext) {
        if let torrent, isOutgoing {
            context.writeAndFlush(wrapOutboundOut(.handshake(Handshake(reserved: torrent.reservedBits, infoHash: torrent.infoHash,
                                                                        peerID: torrent.peerID))), promise: nil)
        }
        let channel = context.channel
        handshakeTimeout = context.eventLoop.scheduleTask(in: session.configuration.handshakeTimeout) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .handshake(let handshake):
            handshakeTimeout?.cancel()
            if !isOutgoing {
                torrent = session.torrent(wireInfoHash: handshake.infoHash)
            }
            // An encrypted connection belongs to the torrent its MSE handshake named. A hybrid
            // torrent answers to its v2 hash too (BEP 52), and a handshake is answered with the
            // hash it was addressed by.
            let named = handshake.infoHash == torrent?.infoHash || (!isOutgoing && handshake.infoHash == torrent?.v2WireHash)
            guard let torrent, named, encryptedFor == nil || encryptedFor == handshake.infoHash,
                torrent.accepts(address: address, peerID: handshake.peerID)
            else {
                context.close(promise: nil)
                return
            }
            if !isOutgoing {
                context.write(wrapOutboundOut(.handshake(Handshake(reserved: torrent.reservedBits, infoHash: handshake.infoHash,
                                                                   peerID: torrent.peerID))), promise: nil)
            }
            let peer = Peer(channel: context.channel, address: address, isOutgoing: isOutgoing, handshake: handshake,
                            pieceCount: torrent.metainfo.pieceCount)
            peer.encryption = encryption
            self.peer = peer
            torrent.attach(peer)
        case .message(let message):
            guard let torrent, let peer else {
                context.close(promise: nil)
                return
            }
            do throws(WireError) {
                try torrent.received(message, from: peer)
            } catch {
                torrent.logger.warning("peer broke the protocol", metadata: ["peer": "\(address)", "error": "\(error)"])
                context.close(promise: nil)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshakeTimeout?.cancel()
        if let torrent, let peer { torrent.detach(peer) }
        if isOutgoing, peer == nil { session.dialFailedBeforeHandshake(address, encrypted: dialledEncrypted) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        (torrent?.logger ?? session.logger).debug("peer connection error", metadata: ["peer": "\(address)", "error": "\(error)"])
        context.close(promise: nil)
    }
}
