/// A snapshot of one torrent's transfer.
public struct TorrentStatus: Sendable {
    public enum State: String, Sendable {
        /// Hashing data on disk.
        case checking
        case downloading
        /// Every selected file is complete; other pieces are not wanted.
        case finished
        /// Has every piece and serves them.
        case seeding
        case paused
        case stopped
        /// Stopped transferring because a piece could not be written (disk full, read-only,
        /// no permission): fetching more would only fetch what cannot be kept. ``Torrent/resume()``
        /// tries again; `error` says why.
        case error
    }

    public struct PeerStatus: Sendable {
        public var address: String
        public var client: String
        /// Payload bytes received from this peer in this run.
        public var downloaded: Int64
        /// Payload bytes sent to this peer in this run.
        public var uploaded: Int64
        public var downloadRate: Double
        public var uploadRate: Double
        /// How the (last) connection to this peer was encrypted (MSE/PE).
        public var encryption: ConnectionEncryption = .none
    }

    /// The 20-byte wire info-hash in hex.
    public var infoHash: String
    public var state: State
    /// Bytes of the torrent, pad files included.
    public var totalSize: Int64
    /// Bytes in verified pieces.
    public var verifiedBytes: Int64
    /// Bytes already verified when the torrent started (from resume data or the check).
    public var verifiedAtStart: Int64
    public var piecesHave: Int
    public var pieceCount: Int
    /// Payload bytes received in this run (including any later discarded).
    public var downloadedThisRun: Int64
    public var uploadedThisRun: Int64
    /// Bytes per second.
    public var downloadRate: Double
    public var uploadRate: Double
    /// Peers that moved payload in this run, connected or not.
    public var peers: [PeerStatus]
    /// Peers connected now.
    public var connectedPeers: Int
    /// Pieces that failed their hash check in this run.
    public var hashFailures: Int
    public var error: String?
    /// Every wanted piece is verified (all pieces unless files were deselected).
    public var isComplete: Bool
    public var progress: Double { pieceCount == 0 ? 1 : Double(piecesHave) / Double(pieceCount) }
}
