import NERDCrypto

/// A file as the torrent describes it, before paths are sanitised.
struct RawFile {
    /// Path elements below the torrent name; for a single-file torrent, `[name]`.
    var path: [[UInt8]]
    var length: Int64
    var attributes: FileAttributes
    var symlinkPath: [[UInt8]]?
    var piecesRoot: [UInt8]?
}

/// Validates an info dictionary (BEP 3, 47, 52) and builds a ``Metainfo`` from it.
struct InfoDictionaryParser {
    /// Most elements in one file path or symlink target (folders nested this deep are absurd).
    static let maxPathElements = 256

    let info: BencodeValue
    let infoBytes: [UInt8]
    let pieceLayers: BencodeValue?
    let limits: MetainfoLimits

    func parse() throws(WireError) -> Metainfo {
        let pieceLength = try parsePieceLength()
        let metaVersion = info["meta version"]?.integer
        let hasV2 = metaVersion == 2 || info["file tree"] != nil
        if let metaVersion, metaVersion > 2 {
            throw WireError(.unsupportedMetaVersion, "meta version \(metaVersion) is not supported")
        }
        let hasV1 = info["pieces"] != nil || !hasV2
        let version: MetainfoVersion = hasV1 && hasV2 ? .hybrid : hasV2 ? .v2 : .v1
        if hasV2 {
            guard pieceLength >= MerkleTree.blockSize, pieceLength.nonzeroBitCount == 1 else {
                throw WireError(.invalidPieceLength, "v2 piece length \(pieceLength) is not a power of two of at least 16 KiB")
            }
        }
        let infoHashes = InfoHashes(
            v1: hasV1 ? .v1(infoBytes: infoBytes) : nil,
            v2: hasV2 ? .v2(infoBytes: infoBytes) : nil)

        let rawName = try parseName()
        let name = PathSanitizer.sanitize(element: rawName) ?? (infoHashes.v1 ?? infoHashes.v2!).hex

        var v1Files: [RawFile]? = nil
        var v1MultiFile = false
        if hasV1 {
            (v1Files, v1MultiFile) = try parseV1Files(rawName: rawName)
            _ = try Self.checkedTotal(v1Files!)
        }
        var v2Files: [RawFile]? = nil
        var v2MultiFile = false
        if hasV2 {
            guard let tree = info["file tree"], tree.isDictionary else {
                throw WireError(.invalidFileTree, "v2 torrent has no file tree dictionary")
            }
            (v2Files, v2MultiFile) = try FileTreeParser(maxFiles: limits.maxFiles).parse(tree, name: rawName)
            _ = try Self.checkedTotal(v2Files!)
        }

        let raw: [RawFile]
        if let v1 = v1Files, let v2Files {
            var files = Self.withPadFiles(try mergeHybrid(v1: v1, v2: v2Files, pieceLength: pieceLength), pieceLength: pieceLength)
            // Keep a tail pad the v1 list has, so the v1 piece space is described in full.
            let tail = v1.reduce(Int64(0)) { $0 + $1.length } - files.reduce(Int64(0)) { $0 + $1.length }
            if tail > 0, tail < Int64(pieceLength) {
                files.append(RawFile(path: [Array(".pad".utf8), Array(String(tail).utf8)], length: tail,
                                     attributes: .padding, symlinkPath: nil, piecesRoot: nil))
            } else if tail != 0 {
                throw WireError(.inconsistentHybrid, "v1 padding differs from the v2 layout by \(tail) bytes")
            }
            raw = files
        } else {
            raw = v1Files ?? v2Files ?? []
        }
        let isMultiFile = v1Files != nil ? v1MultiFile : v2MultiFile
        var (files, totalSize, pieceCount) = try layOut(raw, pieceLength: pieceLength, alignFiles: !hasV1)
        try sanitizePaths(&files, raw: raw, name: name, isMultiFile: isMultiFile)

        var pieceHashes: [UInt8] = []
        if hasV1 {
            guard let pieces = info["pieces"]?.bytes else {
                throw WireError(.invalidPieces, "pieces is missing or not a string")
            }
            guard pieces.count == pieceCount * 20 else {
                throw WireError(.invalidPieces, "pieces holds \(pieces.count) bytes; \(pieceCount) pieces need \(pieceCount * 20)")
            }
            pieceHashes = pieces
        }
        var layers: [[UInt8]: [UInt8]] = [:]
        if hasV2, let pieceLayers {
            layers = try PieceLayerValidator(pieceLength: pieceLength).validate(pieceLayers, files: files)
        }

        return Metainfo(
            name: name, infoHashes: infoHashes, version: version, pieceLength: pieceLength,
            pieceCount: pieceCount, pieceHashes: pieceHashes, files: files, isMultiFile: isMultiFile,
            totalSize: totalSize, isPrivate: info["private"]?.integer == 1, trackers: [], webSeeds: [],
            dhtNodes: [], comment: nil, createdBy: nil, creationDate: nil, encoding: nil,
            pieceLayers: layers, infoBytes: infoBytes)
    }

    private func parsePieceLength() throws(WireError) -> Int {
        guard let value = info["piece length"] else {
            throw WireError(.invalidPieceLength, "piece length is missing")
        }
        guard let length = value.integer else {
            throw WireError(.invalidPieceLength, "piece length is not an integer", offset: value.byteRange?.lowerBound)
        }
        // 512 MiB is far beyond any real torrent and keeps piece arithmetic in Int range.
        guard length > 0, length <= 1 << 29 else {
            throw WireError(.invalidPieceLength, "piece length \(length) is out of range (1 byte to 512 MiB)")
        }
        return Int(length)
    }

    private func parseName() throws(WireError) -> [UInt8] {
        let utf8Name = info["name.utf-8"]?.bytes.flatMap { String(validating: $0, as: UTF8.self) != nil ? $0 : nil }
        guard let name = utf8Name ?? info["name"]?.bytes else {
            throw WireError(.invalidName, "name is missing or not a string")
        }
        // A NUL can only come from a corrupt or hostile torrent; no filesystem accepts it.
        guard !name.contains(0) else { throw WireError(.invalidName, "name contains a NUL byte") }
        return name
    }

    private func parseV1Files(rawName: [UInt8]) throws(WireError) -> ([RawFile], Bool) {
        if let list = info["files"] {
            guard let entries = list.list else { throw WireError(.invalidPath, "files is not a list") }
            guard entries.count <= limits.maxFiles else {
                throw WireError(.metainfoLimitExceeded, "\(entries.count) files exceed the limit of \(limits.maxFiles)")
            }
            var files: [RawFile] = []
            files.reserveCapacity(entries.count)
            for entry in entries {
                guard entry.isDictionary else { throw WireError(.invalidPath, "file entry is not a dictionary") }
                let pathValue = entry["path.utf-8"].flatMap { p in
                    (p.list?.allSatisfy { $0.utf8String != nil } ?? false) ? p : nil
                } ?? entry["path"]
                guard let pathList = pathValue?.list else {
                    throw WireError(.invalidPath, "file entry has no path list")
                }
                guard pathList.count <= Self.maxPathElements else {
                    throw WireError(.metainfoLimitExceeded, "a path has more than \(Self.maxPathElements) elements")
                }
                var path: [[UInt8]] = []
                for element in pathList {
                    guard let bytes = element.bytes else {
                        throw WireError(.invalidPath, "path element is not a string", offset: element.byteRange?.lowerBound)
                    }
                    path.append(bytes)
                }
                var file = try parseFileCommon(entry, path: path)
                // Legacy BitComet pad files carry no attr, only this name (BEP 47).
                if let last = path.last, last.starts(with: Array("_____padding_file_".utf8)) {
                    file.attributes.insert(.padding)
                }
                files.append(file)
            }
            return (files, true)
        }
        guard info["length"] != nil else {
            throw WireError(.invalidLength, "info has neither length nor files")
        }
        return ([try parseFileCommon(info, path: [rawName])], false)
    }

    /// Length, attributes and symlink target, shared by single-file info and file entries.
    private func parseFileCommon(_ dict: BencodeValue, path: [[UInt8]]) throws(WireError) -> RawFile {
        guard let lengthValue = dict["length"], let length = lengthValue.integer else {
            throw WireError(.invalidLength, "file length is missing or not an integer")
        }
        guard length >= 0 else {
            throw WireError(.invalidLength, "file length \(length) is negative", offset: lengthValue.byteRange?.lowerBound)
        }
        let attributes = FileAttributes(attr: dict["attr"]?.bytes ?? [])
        let symlinkPath = attributes.contains(.symlink) ? try Self.symlinkPath(in: dict) : nil
        // A symlink occupies no bytes of the piece space whatever length it claims (BEP 47).
        return RawFile(path: path, length: attributes.contains(.symlink) ? 0 : length, attributes: attributes,
                       symlinkPath: symlinkPath, piecesRoot: nil)
    }

    /// Assigns offsets, sums the size and counts pieces, with overflow and limit checks.
    private func layOut(_ raw: [RawFile], pieceLength: Int, alignFiles: Bool) throws(WireError)
        -> ([FileEntry], Int64, Int)
    {
        let pl = Int64(pieceLength)
        var offset: Int64 = 0
        var files: [FileEntry] = []
        files.reserveCapacity(raw.count)
        for file in raw {
            if alignFiles, offset % pl != 0 { offset += pl - offset % pl }
            files.append(FileEntry(path: [], rawPath: file.path, length: file.length, offset: offset,
                                   attributes: file.attributes, symlinkTarget: nil, piecesRoot: file.piecesRoot))
            let (sum, overflow) = offset.addingReportingOverflow(file.length)
            guard !overflow, sum < Int64(1) << 62 else { throw WireError(.invalidLength, "total size overflows") }
            offset = sum
        }
        let totalSize = raw.reduce(Int64(0)) { $0 + $1.length }
        guard totalSize > 0 else { throw WireError(.invalidLength, "torrent holds no data (total length 0)") }
        let span = alignFiles ? offset : totalSize
        let pieces = (span + pl - 1) / pl
        guard pieces <= Int64(limits.maxPieces) else {
            throw WireError(.metainfoLimitExceeded, "\(pieces) pieces exceed the limit of \(limits.maxPieces)")
        }
        return (files, totalSize, Int(pieces))
    }

    /// The `symlink path` list of a symlink entry (BEP 47), v1 file entry or v2 tree leaf alike.
    static func symlinkPath(in entry: BencodeValue) throws(WireError) -> [[UInt8]] {
        guard let list = entry["symlink path"]?.list, list.count <= maxPathElements else {
            throw WireError(.invalidSymlink, "symlink has no symlink path list of at most \(maxPathElements) elements")
        }
        var target: [[UInt8]] = []
        for element in list {
            guard let bytes = element.bytes else { throw WireError(.invalidSymlink, "symlink path element is not a string") }
            target.append(bytes)
        }
        return target
    }

    /// Fills in sanitised paths and symlink targets, renaming files whose path is an earlier
    /// file's or any file's folder, as libtorrent does: every folder is known first and
    /// folders are never renamed (`d` and `d/x` give `d.1` and `d/x`), so both clients lay
    /// the same torrent out alike.
    private func sanitizePaths(_ files: inout [FileEntry], raw: [RawFile], name: String, isMultiFile: Bool) throws(WireError) {
        // Compared as bytes, as on disk: canonically equivalent spellings are different names.
        var paths: [[String]] = []
        paths.reserveCapacity(files.count)
        var directories = Set<[UInt8]>()
        for i in files.indices {
            let path = isMultiFile ? [name] + PathSanitizer.sanitize(path: raw[i].path) : [name]
            paths.append(path)
            guard !files[i].isPadFile else { continue }
            var prefix = ""
            for element in path.dropLast() {
                prefix = prefix.isEmpty ? element : prefix + "/" + element
                directories.insert(Array(prefix.utf8))
            }
        }
        var taken = Set<[UInt8]>()
        for i in files.indices {
            var path = paths[i]
            if let target = raw[i].symlinkPath {
                files[i].symlinkTarget = [name] + PathSanitizer.sanitize(path: target)
            }
            if !files[i].isPadFile {
                let folder = path.dropLast().joined(separator: "/")
                let original = path[path.count - 1]
                var full = folder.isEmpty ? original : folder + "/" + original
                var attempt = 0
                while taken.contains(Array(full.utf8)) || directories.contains(Array(full.utf8)) {
                    attempt += 1
                    guard attempt <= limits.maxDuplicateRenames else {
                        throw WireError(.metainfoLimitExceeded, "too many files named \(full)")
                    }
                    path[path.count - 1] = Self.renamed(original, attempt)
                    full = folder.isEmpty ? path[path.count - 1] : folder + "/" + path[path.count - 1]
                }
                taken.insert(Array(full.utf8))
            }
            files[i].path = path
        }
    }

    /// The canonical hybrid layout (as libtorrent reports it): a `.pad/<size>` file after each
    /// non-empty file that another non-empty file follows, so each starts on a piece boundary.
    static func withPadFiles(_ files: [RawFile], pieceLength: Int) -> [RawFile] {
        let pl = Int64(pieceLength)
        let lastNonEmpty = files.lastIndex { $0.length > 0 } ?? -1
        var out: [RawFile] = []
        var offset: Int64 = 0
        for (index, file) in files.enumerated() {
            out.append(file)
            offset += file.length
            if file.length > 0, index < lastNonEmpty, offset % pl != 0 {
                let pad = pl - offset % pl
                out.append(RawFile(path: [Array(".pad".utf8), Array(String(pad).utf8)], length: pad,
                                   attributes: .padding, symlinkPath: nil, piecesRoot: nil))
                offset += pad
            }
        }
        return out
    }

    /// The sum of all file lengths; every later sum (with pad files, each under a piece)
    /// stays far below `Int64.max` once this passes.
    static func checkedTotal(_ files: [RawFile]) throws(WireError) -> Int64 {
        var total: Int64 = 0
        for file in files {
            let (sum, overflow) = total.addingReportingOverflow(file.length)
            guard !overflow, sum <= Int64(1) << 56 else { throw WireError(.invalidLength, "total size exceeds 64 PiB") }
            total = sum
        }
        return total
    }

    /// `bar.txt` → `bar.1.txt`, `foo` → `foo.1`, as libtorrent names duplicates.
    static func renamed(_ element: String, _ n: Int) -> String {
        if let dot = element.lastIndex(of: "."), dot != element.startIndex {
            return "\(element[..<dot]).\(n)\(element[dot...])"
        }
        return "\(element).\(n)"
    }

    /// BEP 52: a hybrid torrent's v1 file list must describe the same files as its v2 tree,
    /// in the same order, with every non-empty file starting on a piece boundary.
    /// - Returns: the real (non-pad) files with their v2 `pieces root` filled in.
    private func mergeHybrid(v1: [RawFile], v2: [RawFile], pieceLength: Int) throws(WireError) -> [RawFile] {
        var merged: [RawFile] = []
        var next = 0
        var offset: Int64 = 0
        for file in v1 {
            defer { offset += file.length }
            if file.attributes.contains(.padding) { continue }
            guard next < v2.count, v2[next].path == file.path, v2[next].length == file.length else {
                throw WireError(.inconsistentHybrid, "v1 file \(next) does not match the v2 file tree")
            }
            if file.length > 0, offset % Int64(pieceLength) != 0 {
                throw WireError(.inconsistentHybrid, "v1 file \(next) does not start on a piece boundary")
            }
            var file = file
            file.piecesRoot = v2[next].piecesRoot
            merged.append(file)
            next += 1
        }
        guard next == v2.count else {
            throw WireError(.inconsistentHybrid, "v2 file tree has \(v2.count) files, v1 has \(next)")
        }
        return merged
    }
}
