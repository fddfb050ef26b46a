import NERDWire

/// Where a torrent's pieces live on disk: the files under the save path and the byte
/// ranges of the piece space each one covers. Pad files (BEP 47) and symlinks are never
/// written; their bytes are zeros that only exist in the piece space.
public struct FileLayout: Sendable {
    /// A stretch of one piece that lives in one file (or is padding).
    public struct Segment: Sendable, Hashable {
        /// Index into ``files``; `nil` for padding.
        public var file: Int?
        /// Offset in the file.
        public var fileOffset: Int64
        /// Offset in the piece.
        public var pieceOffset: Int
        public var length: Int
    }

    public struct File: Sendable, Hashable {
        /// Path on disk: ``FileLayout/savePath``, then ``components``.
        public var path: String
        /// The sanitised path elements under the save path (`<name>` first).
        public var components: [String] = []
        public var length: Int64
        /// Offset of the file's first byte in the piece space.
        public var offset: Int64
        public var isPadding: Bool
    }

    public let files: [File]
    /// The folder that holds `<name>`, as given (no trailing slash).
    public let savePath: String
    public let pieceLength: Int
    public let pieceCount: Int
    public let totalSize: Int64

    /// - Parameters:
    ///   - metainfo: a v1 or hybrid torrent.
    ///   - savePath: the folder that holds (or will hold) `<name>`; absolute or relative.
    public init(metainfo: Metainfo, savePath: String) {
        let base = savePath.count > 1 && savePath.hasSuffix("/") ? String(savePath.dropLast()) : savePath
        self.savePath = base
        files = metainfo.files.map { f in
            File(path: (base == "/" ? "" : base) + "/" + f.path.joined(separator: "/"), components: f.path, length: f.length,
                 offset: f.offset, isPadding: f.isPadFile || f.attributes.contains(.symlink))
        }
        pieceLength = metainfo.pieceLength
        pieceCount = metainfo.pieceCount
        totalSize = metainfo.totalSize
    }

    /// Size of piece `index` in bytes.
    public func size(ofPiece index: Int) -> Int {
        let start = Int64(index) * Int64(pieceLength)
        return Int(min(Int64(pieceLength), totalSize - start))
    }

    /// The file segments of bytes `begin..<begin+length` of piece `index`, in order.
    public func segments(piece index: Int, begin: Int = 0, length: Int? = nil) -> [Segment] {
        let length = length ?? size(ofPiece: index) - begin
        let start = Int64(index) * Int64(pieceLength) + Int64(begin)
        let end = start + Int64(length)
        var result: [Segment] = []
        // Binary search for the first file ending after `start`.
        var low = 0
        var high = files.count
        while low < high {
            let mid = (low + high) / 2
            if files[mid].offset + files[mid].length <= start { low = mid + 1 } else { high = mid }
        }
        var i = low
        while i < files.count, files[i].offset < end {
            let f = files[i]
            let lo = max(start, f.offset)
            let hi = min(end, f.offset + f.length)
            if lo < hi {
                result.append(Segment(file: f.isPadding ? nil : i, fileOffset: lo - f.offset,
                                      pieceOffset: Int(lo - Int64(index) * Int64(pieceLength)), length: Int(hi - lo)))
            }
            i += 1
        }
        return result
    }
}
