/// Which BitTorrent metainfo format a torrent uses.
public enum MetainfoVersion: String, Sendable, Hashable {
    /// BEP 3: SHA-1 pieces over the concatenated files.
    case v1
    /// BEP 52: per-file SHA-256 merkle trees.
    case v2
    /// BEP 52 hybrid: both, describing the same files (v1 with pad files aligning each file).
    case hybrid
}

/// A web seed (BEP 19 `url-list`) or HTTP seed (BEP 17 `httpseeds`).
public struct WebSeed: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// BEP 19: a plain HTTP/FTP server holding the files.
        case urlSeed
        /// BEP 17: a server speaking the Hoffman-style seeding protocol.
        case httpSeed
    }

    public var url: String
    public var kind: Kind

    public init(url: String, kind: Kind) {
        self.url = url
        self.kind = kind
    }
}

/// A DHT node a trackerless torrent names (BEP 5 `nodes`).
public struct DHTNodeAddress: Sendable, Hashable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// A parsed .torrent file (BEP 3; BEP 12, 17, 19, 27, 47, 52).
///
/// Everything a peer sent is validated before use: every path is sanitised so files stay
/// inside the download folder, piece counts and hashes are checked against the file sizes,
/// and v2 piece layers are checked against their file's `pieces root`. The info-hashes are
/// computed over the info dictionary's bytes as received.
public struct Metainfo: Sendable {
    /// The torrent's name, sanitised (one path element). For a multi-file torrent it is the
    /// folder that holds the files; for a single-file torrent it is the file name.
    public var name: String
    public var infoHashes: InfoHashes
    public var version: MetainfoVersion
    /// Piece length in bytes.
    public var pieceLength: Int
    /// Number of pieces (for v2-only torrents, counted per file since each file starts a piece).
    public var pieceCount: Int
    /// The v1 piece hashes, 20 bytes each, concatenated; empty for v2-only torrents.
    public var pieceHashes: [UInt8]
    /// Files in torrent order: v1 order (with BEP 47 pad files) for v1 and hybrid torrents,
    /// file-tree order for v2-only torrents.
    public var files: [FileEntry]
    /// Whether the content is a folder (`files` list or a multi-entry v2 tree).
    public var isMultiFile: Bool
    /// Sum of all file lengths in bytes, pad files included.
    public var totalSize: Int64
    /// BEP 27 private flag: peers only from the torrent's trackers.
    public var isPrivate: Bool
    /// Tracker tiers (BEP 12), each a list of announce URLs; a single `announce` is one tier.
    public var trackers: [[String]]
    public var webSeeds: [WebSeed]
    public var dhtNodes: [DHTNodeAddress]
    public var comment: String?
    public var createdBy: String?
    /// Seconds since 1970-01-01 UTC.
    public var creationDate: Int64?
    public var encoding: String?
    /// BEP 52 piece layers: pieces root (32 bytes) → concatenated 32-byte piece hashes; each
    /// already verified to hash up to its root.
    public var pieceLayers: [[UInt8]: [UInt8]]
    /// The bencoded info dictionary exactly as received (what BEP 9 serves as metadata).
    public var infoBytes: [UInt8]

    /// The 20-byte SHA-1 hash of piece `index` (v1 and hybrid torrents).
    public func pieceHash(_ index: Int) -> ArraySlice<UInt8>? {
        guard index >= 0, index < pieceHashes.count / 20 else { return nil }
        return pieceHashes[index * 20..<index * 20 + 20]
    }

    /// Size in bytes of piece `index` in the v1 piece space (v1 and hybrid torrents):
    /// `pieceLength`, except a shorter last piece; 0 outside the torrent. v2-only torrents
    /// align every file to a piece, so their pieces are sized per file instead.
    public func size(ofPiece index: Int) -> Int {
        guard index >= 0, index < pieceCount else { return 0 }
        let start = Int64(index) * Int64(pieceLength)
        return Int(max(0, min(Int64(pieceLength), totalSize - start)))
    }
}
