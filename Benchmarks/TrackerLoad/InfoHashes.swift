/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough to spread test keys.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (the modulo bias is irrelevant for picking test keys).
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

/// The synthetic swarm: torrent `i`'s info-hash and the identity of its peer `j`.
///
/// Info-hash `i` is the first 20 bytes (big-endian) of the three SplitMix64 outputs that follow
/// the state `seed · 0xD1B54A32D192ED03 + i`, so `tracker-load hashes` can write a tracker's
/// whitelist and every later run announces exactly those torrents.
enum InfoHashes {
    /// The 20 bytes as two 64-bit words and one 32-bit word, to be written big-endian.
    static func words(seed: UInt64, index: Int) -> (UInt64, UInt64, UInt32) {
        var mix = SplitMix64(state: seed &* 0xD1B5_4A32_D192_ED03 &+ UInt64(index))
        return (mix.next(), mix.next(), UInt32(truncatingIfNeeded: mix.next() >> 32))
    }

    static func bytes(seed: UInt64, index: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes.withUnsafeMutableBytes { write(seed: seed, index: index, to: $0.baseAddress!) }
        return bytes
    }

    static func write(seed: UInt64, index: Int, to pointer: UnsafeMutableRawPointer) {
        let (a, b, c) = words(seed: seed, index: index)
        pointer.storeBytes(of: a.bigEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: b.bigEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: c.bigEndian, toByteOffset: 16, as: UInt32.self)
    }

    static func hex(seed: UInt64, index: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(40)
        for byte in bytes(seed: seed, index: index) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Peer `j` of torrent `i` as the tracker sees it: 127.0.0.1, port 10000 + j, a leecher
    /// (left > 0) when j is even and a seeder when odd, and a 20-byte ASCII peer ID unique per
    /// (torrent, peer): `-TL0001-` and 12 decimal digits of `i · peers + j`.
    struct Peer {
        var torrent: Int
        var peer: Int
        var peers: Int

        var port: UInt16 { UInt16(truncatingIfNeeded: 10_000 + peer) }
        var left: UInt64 { peer % 2 == 0 ? 1 << 20 : 0 }
        var serial: Int { torrent * peers + peer }
        var key: UInt32 { UInt32(truncatingIfNeeded: UInt64(serial) &* 2_654_435_761) }

        static let idPrefix = Array("-TL0001-".utf8)

        /// Writes the 20-byte peer ID.
        func writePeerID(to pointer: UnsafeMutableRawPointer) {
            for (offset, byte) in Self.idPrefix.enumerated() {
                pointer.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            }
            var rest = serial
            for offset in stride(from: 19, through: 8, by: -1) {
                pointer.storeBytes(of: UInt8(48 + rest % 10), toByteOffset: offset, as: UInt8.self)
                rest /= 10
            }
        }
    }
}
