/// Walks a BEP 52 `file tree`: nested dictionaries keyed by path element, each file a
/// dictionary under the empty key holding `length`, `pieces root` and optional `attr`.
struct FileTreeParser {
    let maxFiles: Int

    /// - Returns: the files in tree order and whether the torrent is multi-file (anything but
    ///   one file at the top level named like the torrent).
    func parse(_ tree: BencodeValue, name: [UInt8]) throws(WireError) -> ([RawFile], Bool) {
        var files: [RawFile] = []
        try walk(tree, path: [], into: &files)
        guard !files.isEmpty else { throw WireError(.invalidFileTree, "file tree holds no files") }
        let isMultiFile = !(files.count == 1 && files[0].path == [name])
        return (files, isMultiFile)
    }

    private func walk(_ node: BencodeValue, path: [[UInt8]], into files: inout [RawFile]) throws(WireError) {
        guard let entries = node.entries else {
            throw WireError(.invalidFileTree, "file tree node is not a dictionary", offset: node.byteRange?.lowerBound)
        }
        if let leaf = node[""] {
            guard !path.isEmpty, entries.count == 1 else {
                throw WireError(.invalidFileTree, "file entry mixed with other keys or at the tree root",
                                offset: node.byteRange?.lowerBound)
            }
            files.append(try parseFile(leaf, path: path))
            guard files.count <= maxFiles else {
                throw WireError(.metainfoLimitExceeded, "more than \(maxFiles) files")
            }
            return
        }
        var previous: [UInt8]? = nil
        for entry in entries {
            guard !entry.key.isEmpty else {
                throw WireError(.invalidFileTree, "empty name in the file tree", offset: entry.value.byteRange?.lowerBound)
            }
            if let previous, !previous.lexicographicallyPrecedes(entry.key) {
                throw WireError(.invalidFileTree, "file tree keys are not sorted", offset: entry.value.byteRange?.lowerBound)
            }
            previous = entry.key
            try walk(entry.value, path: path + [entry.key], into: &files)
        }
    }

    private func parseFile(_ leaf: BencodeValue, path: [[UInt8]]) throws(WireError) -> RawFile {
        guard leaf.isDictionary else { throw WireError(.invalidFileTree, "file entry is not a dictionary") }
        guard let length = leaf["length"]?.integer else {
            throw WireError(.invalidLength, "v2 file length is missing or not an integer")
        }
        guard length >= 0 else { throw WireError(.invalidLength, "v2 file length \(length) is negative") }
        let attributes = FileAttributes(attr: leaf["attr"]?.bytes ?? [])
        if attributes.contains(.padding) {
            throw WireError(.invalidPadFile, "v2 file tree entries cannot be pad files")
        }
        let symlinkPath = attributes.contains(.symlink) ? try InfoDictionaryParser.symlinkPath(in: leaf) : nil
        var piecesRoot: [UInt8]? = nil
        if length > 0, !attributes.contains(.symlink) {
            guard let root = leaf["pieces root"]?.bytes, root.count == 32, root.contains(where: { $0 != 0 }) else {
                throw WireError(.missingPiecesRoot, "non-empty v2 file has no valid 32-byte pieces root")
            }
            piecesRoot = root
        }
        return RawFile(path: path, length: attributes.contains(.symlink) ? 0 : length, attributes: attributes,
                       symlinkPath: symlinkPath, piecesRoot: piecesRoot)
    }
}
