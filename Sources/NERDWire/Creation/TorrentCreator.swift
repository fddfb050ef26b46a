/// Makes .torrent files from content on disk (BEP 3, 12, 19, 27, 47, 52).
///
/// ```swift
/// var options = TorrentCreator.Options()
/// options.trackers = [["http://tracker.example/announce"]]
/// let torrent = try TorrentCreator.create(from: "/data/album", options: options)
/// ```
public enum TorrentCreator {
    /// What to put in the torrent.
    public struct Options: Sendable {
        /// Piece length in bytes: a power of two from 16 KiB to 256 MiB; `nil` chooses one
        /// (see ``automaticPieceLength(totalSize:)``).
        public var pieceLength: Int?
        /// `.v1` (default, as mktorrent and Transmission), `.hybrid` or `.v2`.
        public var version: MetainfoVersion = .v1
        /// Tracker tiers (BEP 12); the first URL is also written as `announce`.
        public var trackers: [[String]] = []
        /// BEP 19 `url-list`.
        public var webSeeds: [String] = []
        /// BEP 27.
        public var isPrivate = false
        public var comment: String?
        public var createdBy: String? = "NERD"
        /// Seconds since 1970; `nil` leaves `creation date` out.
        public var creationDate: Int64?
        /// Include files and folders whose names start with `.`.
        public var includeHidden = false
        /// Hashing threads; defaults to the number of active cores.
        public var threads: Int = SystemInfo.activeProcessorCount

        public init() {}
    }

    /// Smallest power of two from 16 KiB to 16 MiB that keeps the piece count at or below
    /// 2000, so most torrents get 1000–2000 pieces as mainstream tools aim for.
    /// - Parameter totalSize: content size in bytes.
    /// - Returns: piece length in bytes.
    public static func automaticPieceLength(totalSize: Int64) -> Int {
        var length = 16 * 1024
        while length < 16 << 20, totalSize > Int64(length) * 2000 { length <<= 1 }
        return length
    }

    /// Hashes the content and returns the bencoded .torrent.
    ///
    /// - Parameters:
    ///   - path: a file, or a folder (its name becomes the torrent name).
    ///   - options: format, trackers, piece length, ...
    ///   - progress: called with (bytes hashed, total bytes) from a hashing thread, at most
    ///     once per few MiB.
    /// - Returns: the .torrent bytes; parse them with ``Metainfo/init(bytes:limits:)``.
    /// - Throws: ``WireError`` `.invalidContent` (missing, empty or unusable content, bad
    ///   options) or `.ioError` (a read failed or a file shrank while hashing).
    public static func create(from path: String, options: Options = Options(),
                              progress: (@Sendable (Int64, Int64) -> Void)? = nil) throws(WireError) -> [UInt8] {
        let content = try ContentScanner.scan(path, includeHidden: options.includeHidden, maxFiles: MetainfoLimits.default.maxFiles)
        guard !content.files.isEmpty else { throw WireError(.invalidContent, "\(path) holds no files") }
        let dataSize = content.files.reduce(Int64(0)) { $0 + $1.length }
        guard dataSize > 0 else { throw WireError(.invalidContent, "\(path) holds only empty files") }
        let pieceLength = options.pieceLength ?? automaticPieceLength(totalSize: dataSize)
        guard pieceLength >= 16 * 1024, pieceLength <= 256 << 20, pieceLength.nonzeroBitCount == 1 else {
            throw WireError(.invalidContent, "piece length \(pieceLength) must be a power of two from 16 KiB to 256 MiB")
        }

        let layout = PieceSpace(files: content.files, pieceLength: pieceLength, alignFiles: options.version != .v1,
                                isFolder: content.isDirectory)
        // Refuse before hashing what the parser would refuse after it.
        let maxPieces = MetainfoLimits.default.maxPieces
        guard layout.pieceCount <= maxPieces else {
            throw WireError(.invalidContent, "\(layout.pieceCount) pieces exceed the limit of \(maxPieces); choose a larger piece length")
        }
        let hashes = try PieceHasher(space: layout, v1: options.version != .v2, v2: options.version != .v1,
                                     threads: max(1, options.threads), progress: progress).run()

        var info: [(String, BencodeValue)] = [("name", .string(content.name)), ("piece length", .integer(pieceLength))]
        if options.isPrivate { info.append(("private", .integer(1))) }
        if options.version != .v2 {
            info.append(("pieces", .string(hashes.v1Pieces)))
            if content.isDirectory {
                info.append(("files", .list(layout.entries.map { entry in
                    var d: [(String, BencodeValue)] = [("length", .integer(entry.length)),
                                                       ("path", .list(entry.path.map { .string($0) }))]
                    if entry.isPad { d.append(("attr", .string("p"))) } else if entry.isExecutable { d.append(("attr", .string("x"))) }
                    return .dictionary(d)
                })))
            } else {
                info.append(("length", .integer(dataSize)))
            }
        }
        var pieceLayers: [BencodeValue.Entry] = []
        if options.version != .v1 {
            info.append(("meta version", .integer(2)))
            info.append(("file tree", fileTree(content.files, roots: hashes.fileRoots)))
            var seen = Set<[UInt8]>()
            for (index, file) in content.files.enumerated() where file.length > Int64(pieceLength) {
                let root = hashes.fileRoots[index]
                if seen.insert(root).inserted {
                    pieceLayers.append(.init(key: root, value: .string(hashes.pieceLayers[index])))
                }
            }
        }

        var torrent: [(String, BencodeValue)] = [("info", .dictionary(info))]
        let tracked = options.trackers.map { $0.filter { !$0.isEmpty } }.filter { !$0.isEmpty }
        if let first = tracked.first?.first { torrent.append(("announce", .string(first))) }
        if tracked.count > 1 || (tracked.first?.count ?? 0) > 1 {
            torrent.append(("announce-list", .list(tracked.map { .list($0.map { .string($0) }) })))
        }
        if let comment = options.comment { torrent.append(("comment", .string(comment))) }
        if let createdBy = options.createdBy { torrent.append(("created by", .string(createdBy))) }
        if let date = options.creationDate { torrent.append(("creation date", .integer(date))) }
        if !options.webSeeds.isEmpty { torrent.append(("url-list", .list(options.webSeeds.map { .string($0) }))) }
        if !pieceLayers.isEmpty { torrent.append(("piece layers", BencodeValue(.dictionary(pieceLayers)))) }
        return try BencodeEncoder.encode(.dictionary(torrent))
    }

    /// Builds the BEP 52 file tree; a single file sits under its own name.
    private static func fileTree(_ files: [ContentFile], roots: [[UInt8]]) -> BencodeValue {
        // Keyed by bytes: Swift strings compare canonically equivalent names (NFC and NFD
        // spellings of one name) as equal, but on disk they are different files.
        final class Node {
            var children: [[UInt8]: Node] = [:]
            var leaf: BencodeValue?
        }
        let top = Node()
        for (index, file) in files.enumerated() {
            var node = top
            for element in file.path.map({ Array($0.utf8) }) {
                if let child = node.children[element] { node = child } else {
                    let child = Node()
                    node.children[element] = child
                    node = child
                }
            }
            var leaf: [(String, BencodeValue)] = [("length", .integer(file.length))]
            if file.length > 0 { leaf.append(("pieces root", .string(roots[index]))) }
            if file.isExecutable { leaf.append(("attr", .string("x"))) }
            node.leaf = .dictionary([("", .dictionary(leaf))])
        }
        func encode(_ node: Node) -> BencodeValue {
            if let leaf = node.leaf { return leaf }
            return BencodeValue(.dictionary(node.children.map { BencodeValue.Entry(key: $0.key, value: encode($0.value)) }))
        }
        return encode(top)
    }
}
