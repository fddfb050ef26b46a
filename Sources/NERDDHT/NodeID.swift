import NERDCrypto

/// A 160-bit DHT node ID or info-hash, compared by XOR distance (BEP 5).
public struct NodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Big-endian, as on the wire.
    public let bytes: [UInt8]

    /// - Returns: `nil` unless exactly 20 bytes.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public static func random() -> NodeID { NodeID(unchecked: SecureRandom.bytes(count: 20)) }

    /// XOR distance to another ID, itself a 160-bit number.
    public func distance(to other: NodeID) -> NodeID {
        NodeID(unchecked: zip(bytes, other.bytes).map { $0 ^ $1 })
    }

    /// Number of leading bits shared with `other` (160 when equal).
    public func commonPrefixLength(with other: NodeID) -> Int {
        for i in 0..<20 {
            let x = bytes[i] ^ other.bytes[i]
            if x != 0 { return i * 8 + x.leadingZeroBitCount }
        }
        return 160
    }

    /// Numeric order (so `a.distance(to: t) < b.distance(to: t)` means a is closer to t).
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    // MARK: BEP 42

    /// A node ID valid for `ip` under BEP 42: the top 21 bits come from CRC32-C of the masked
    /// address and `r` (the low 3 bits of the random last byte).
    public static func secure(for ip: [UInt8], random: UInt8 = UInt8.random(in: 0...255)) -> NodeID {
        var id = SecureRandom.bytes(count: 20)
        let crc = bep42CRC(ip: ip, r: random)
        id[0] = UInt8(truncatingIfNeeded: crc >> 24)
        id[1] = UInt8(truncatingIfNeeded: crc >> 16)
        id[2] = (UInt8(truncatingIfNeeded: crc >> 8) & 0xF8) | (id[2] & 0x07)
        id[19] = random
        return NodeID(unchecked: id)
    }

    /// Whether this ID is BEP 42-valid for `ip`. Local and private addresses are exempt.
    public func isSecure(for ip: [UInt8]) -> Bool {
        if Self.isExempt(ip) { return true }
        let crc = Self.bep42CRC(ip: ip, r: bytes[19])
        return bytes[0] == UInt8(truncatingIfNeeded: crc >> 24) && bytes[1] == UInt8(truncatingIfNeeded: crc >> 16)
            && bytes[2] & 0xF8 == UInt8(truncatingIfNeeded: crc >> 8) & 0xF8
    }

    static func bep42CRC(ip: [UInt8], r: UInt8) -> UInt32 {
        var masked: [UInt8]
        if ip.count == 4 {
            masked = zip(ip, [0x03, 0x0F, 0x3F, 0xFF] as [UInt8]).map { $0 & $1 }
        } else {
            masked = zip(ip.prefix(8), [0x01, 0x03, 0x07, 0x0F, 0x1F, 0x3F, 0x7F, 0xFF] as [UInt8]).map { $0 & $1 }
        }
        masked[0] |= (r & 0x07) << 5
        return CRC32C.checksum(masked)
    }

    static func isExempt(_ ip: [UInt8]) -> Bool {
        guard ip.count == 4 else { return ip == [UInt8](repeating: 0, count: 15) + [1] }
        return ip[0] == 10 || ip[0] == 127 || (ip[0] == 172 && ip[1] & 0xF0 == 16) || (ip[0] == 192 && ip[1] == 168)
            || (ip[0] == 169 && ip[1] == 254)
    }
}

/// CRC-32C (Castagnoli), as BEP 42 specifies.
enum CRC32C {
    static let table: [UInt32] = (0..<256).map { i in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
