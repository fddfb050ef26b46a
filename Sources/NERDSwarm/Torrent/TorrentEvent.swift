/// Something that happened to a torrent, delivered in order on ``Torrent/events``.
public enum TorrentEvent: Sendable, Equatable {
    /// The data on disk was checked (or resume data trusted): this many pieces verified.
    case checked(piecesHave: Int)
    case peerConnected(address: String)
    case peerDisconnected(address: String)
    /// A piece passed its hash check and is on disk.
    case pieceVerified(index: Int)
    /// A piece failed its hash check and will be fetched again.
    case pieceFailed(index: Int)
    /// Every wanted piece is verified.
    case completed
    case paused
    case resumed
    /// A storage error; the message says which file.
    case error(String)
}
