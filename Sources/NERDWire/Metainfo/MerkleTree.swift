import NERDCrypto

/// The BEP 52 merkle hash tree: SHA-256 over 16 KiB blocks, each level pairs hashes,
/// missing leaves are zero hashes (32 zero bytes) so the tree is always a power of two wide.
public enum MerkleTree {
    /// The leaf size of v2 trees, in bytes.
    public static let blockSize = 16 * 1024

    /// The root of a perfect subtree of `2^height` zero leaves.
    public static func zeroRoot(height: Int) -> [UInt8] {
        var hash = [UInt8](repeating: 0, count: 32)
        for _ in 0..<height { hash = SHA256.hash(hash + hash) }
        return hash
    }

    /// The root over `hashes` padded with `padding` up to the next power of two
    /// (at least `minimumWidth` leaves).
    ///
    /// - Parameters:
    ///   - hashes: 32-byte hashes, left to right.
    ///   - padding: the hash standing for a missing leaf at this level.
    /// - Returns: 32 bytes.
    public static func root(of hashes: [[UInt8]], padding: [UInt8], minimumWidth: Int = 1) -> [UInt8] {
        var width = 1
        while width < max(hashes.count, minimumWidth) { width <<= 1 }
        var level = hashes
        var pad = padding
        while width > 1 {
            var next = [[UInt8]]()
            next.reserveCapacity((level.count + 1) / 2)
            var i = 0
            while i < level.count {
                let right = i + 1 < level.count ? level[i + 1] : pad
                next.append(SHA256.hash(level[i] + right))
                i += 2
            }
            pad = SHA256.hash(pad + pad)
            level = next
            width >>= 1
        }
        return level.first ?? pad
    }

    /// The root of a file's piece layer (BEP 52 `piece layers` value).
    ///
    /// - Parameters:
    ///   - layer: concatenated 32-byte piece hashes.
    ///   - pieceLength: the torrent's piece length in bytes (a power of two, ≥ 16 KiB).
    /// - Returns: 32 bytes, to compare with the file's `pieces root`.
    public static func root(pieceLayer layer: [UInt8], pieceLength: Int) -> [UInt8] {
        let blocksPerPiece = pieceLength / blockSize
        let height = blocksPerPiece.trailingZeroBitCount
        let hashes = stride(from: 0, to: layer.count, by: 32).map { Array(layer[$0..<$0 + 32]) }
        return root(of: hashes, padding: zeroRoot(height: height))
    }
}
