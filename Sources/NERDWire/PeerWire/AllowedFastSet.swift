import NERDCrypto

/// The BEP 6 allowed fast set: `k` pieces a peer may request while choked, derived from its
/// IPv4 address (top three octets) and the info-hash, the same for every client.
public enum AllowedFastSet {
    /// - Parameters:
    ///   - ipv4: the peer's address, 4 bytes.
    ///   - infoHash: the 20-byte wire info-hash.
    ///   - pieceCount: pieces in the torrent.
    ///   - count: `k`, at most `pieceCount`.
    /// - Returns: piece indices in generation order; empty for an address that is not IPv4.
    public static func compute(ipv4: [UInt8], infoHash: [UInt8], pieceCount: Int, count: Int = 10) -> [Int] {
        guard ipv4.count == 4, pieceCount > 0 else { return [] }
        let k = min(count, pieceCount)
        var x = Array(ipv4.prefix(3)) + [0] + infoHash
        var set: [Int] = []
        while set.count < k {
            x = SHA1.hash(x)
            var i = 0
            while i < 5 && set.count < k {
                let y = x[i * 4..<i * 4 + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                let index = Int(y % UInt32(pieceCount))
                if !set.contains(index) { set.append(index) }
                i += 1
            }
        }
        return set
    }
}
