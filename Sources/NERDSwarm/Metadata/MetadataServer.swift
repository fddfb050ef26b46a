import NERDWire
import NIOCore

/// Serves the info dictionary of the session's torrents to peers that ask (BEP 9
/// `ut_metadata`), so magnet-link downloaders can start from a NERD seed. Registered by
/// every ``SwarmSession``; the extended handshake then carries `metadata_size`.
struct MetadataServer: PeerExtension {
    let name = "ut_metadata"
    /// The bencoded info dictionary of a torrent by wire info-hash (called on the session's loop).
    let infoBytes: @Sendable ([UInt8]) -> [UInt8]?

    func received(_ payload: ByteBuffer, from peer: ExtensionPeer) {
        // BEP 9: messages we cannot use (unknown msg_type included) are ignored.
        guard case .request(let piece)? = try? MetadataMessage(payload: Array(payload.readableBytesView)) else { return }
        // A peer that does not read its replies gets rejects, not an ever-growing send queue.
        guard peer.isWritable else {
            peer.send(ByteBuffer(bytes: MetadataMessage.reject(piece: piece).payload))
            return
        }
        guard let info = infoBytes(peer.infoHash), piece < MetadataMessage.pieceCount(totalSize: info.count) else {
            peer.send(ByteBuffer(bytes: MetadataMessage.reject(piece: piece).payload))
            return
        }
        let start = piece * MetadataMessage.pieceSize
        let bytes = Array(info[start..<start + MetadataMessage.length(ofPiece: piece, totalSize: info.count)])
        peer.send(ByteBuffer(bytes: MetadataMessage.data(piece: piece, totalSize: info.count, bytes: bytes).payload))
    }
}
