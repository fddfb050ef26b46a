/// Checks BEP 52 `piece layers`: every key is the pieces root of a file larger than one
/// piece, every value holds exactly one 32-byte hash per piece of that file, and the hashes
/// reduce to the root. A file whose layer is absent gets it later from peers.
struct PieceLayerValidator {
    let pieceLength: Int

    /// - Returns: pieces root → piece layer, all verified.
    func validate(_ value: BencodeValue, files: [FileEntry]) throws(WireError) -> [[UInt8]: [UInt8]] {
        guard let entries = value.entries else {
            throw WireError(.invalidPieceLayer, "piece layers is not a dictionary", offset: value.byteRange?.lowerBound)
        }
        var lengths: [[UInt8]: Int64] = [:]
        for file in files {
            if let root = file.piecesRoot, file.length > Int64(pieceLength) { lengths[root] = file.length }
        }
        var layers: [[UInt8]: [UInt8]] = [:]
        for entry in entries {
            guard entry.key.count == 32 else {
                throw WireError(.invalidPieceLayer, "piece layer key is \(entry.key.count) bytes, not 32")
            }
            guard let length = lengths[entry.key] else {
                throw WireError(.invalidPieceLayer, "piece layer for a pieces root no file larger than a piece has")
            }
            guard let layer = entry.value.bytes else {
                throw WireError(.invalidPieceLayer, "piece layer is not a string", offset: entry.value.byteRange?.lowerBound)
            }
            let pieces = (length + Int64(pieceLength) - 1) / Int64(pieceLength)
            guard Int64(layer.count) == pieces * 32 else {
                throw WireError(.invalidPieceLayer, "piece layer holds \(layer.count / 32) hashes; the file has \(pieces) pieces")
            }
            guard MerkleTree.root(pieceLayer: layer, pieceLength: pieceLength) == entry.key else {
                throw WireError(.invalidPieceLayer, "piece layer does not hash up to its pieces root")
            }
            layers[entry.key] = layer
        }
        return layers
    }
}
