/// The byte layout hashed into pieces: the files back to back, with BEP 47 pad files after
/// every non-empty file when files must start on piece boundaries (hybrid, v2).
struct PieceSpace: Sendable {
    struct Entry: Sendable {
        /// Path elements below the torrent name (`[".pad", "N"]` for pad files).
        var path: [String]
        var length: Int64
        var offset: Int64
        /// Index into the content files, `nil` for a pad file.
        var fileIndex: Int?
        var location: String?
        var isExecutable: Bool
        var isPad: Bool { fileIndex == nil }
    }

    let entries: [Entry]
    let pieceLength: Int
    /// Total bytes, pads included.
    let size: Int64

    init(files: [ContentFile], pieceLength: Int, alignFiles: Bool, isFolder: Bool) {
        var entries: [Entry] = []
        var offset: Int64 = 0
        let pl = Int64(pieceLength)
        for (index, file) in files.enumerated() {
            entries.append(Entry(path: file.path, length: file.length, offset: offset, fileIndex: index,
                                 location: file.location, isExecutable: file.isExecutable))
            offset += file.length
            // As libtorrent creates hybrids: a pad right after each non-empty file, the last
            // one included (a single-file torrent has no room for one), so every file's pieces are its own.
            if alignFiles, file.length > 0, offset % pl != 0, index < files.count - 1 || isFolder {
                let pad = pl - offset % pl
                entries.append(Entry(path: [".pad", String(pad)], length: pad, offset: offset, fileIndex: nil,
                                     location: nil, isExecutable: false))
                offset += pad
            }
        }
        self.entries = entries
        self.pieceLength = pieceLength
        self.size = offset
    }

    var pieceCount: Int { Int((size + Int64(pieceLength) - 1) / Int64(pieceLength)) }
}
