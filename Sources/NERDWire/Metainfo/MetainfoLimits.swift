/// Bounds on what a torrent may describe; each exceeded limit is a `.metainfoLimitExceeded`.
public struct MetainfoLimits: Sendable, Hashable {
    /// Most pieces (libtorrent's default `max_pieces`, 2^21).
    public var maxPieces: Int
    /// Most file entries, pad files included.
    public var maxFiles: Int
    /// Most renames of one colliding path before the torrent is rejected.
    public var maxDuplicateRenames: Int
    /// Bencode limits for the whole file.
    public var bencode: BencodeLimits

    public init(maxPieces: Int = 1 << 21, maxFiles: Int = 1 << 20, maxDuplicateRenames: Int = 100,
                bencode: BencodeLimits = .metainfo) {
        self.maxPieces = maxPieces
        self.maxFiles = maxFiles
        self.maxDuplicateRenames = maxDuplicateRenames
        self.bencode = bencode
    }

    public static let `default` = MetainfoLimits()
}
