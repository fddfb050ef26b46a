/// Big-endian 256-bit arithmetic on secp256k1 scalars, just what low-S normalisation and
/// RFC 6979 need; curve arithmetic stays in the backends.
enum Scalar {
    /// The group order n of secp256k1 (SEC 2, section 2.4.1).
    static let order: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ]
    /// ⌊n / 2⌋: a signature with s above it is high-S (BIP 62, BIP 146).
    static let halfOrder: [UInt8] = [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ]

    /// -1, 0 or 1 as `a` is below, equal to or above `b`; both 32 bytes.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        for i in 0..<32 where a[i] != b[i] { return a[i] < b[i] ? -1 : 1 }
        return 0
    }

    static func isZero(_ a: [UInt8]) -> Bool { a.allSatisfy { $0 == 0 } }

    /// 1 ≤ a < n.
    static func isValid(_ a: [UInt8]) -> Bool { a.count == 32 && !isZero(a) && compare(a, order) < 0 }

    /// a − b for a ≥ b, both 32 bytes.
    static func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var d = Int(a[i]) - Int(b[i]) - borrow
            borrow = d < 0 ? 1 : 0
            if d < 0 { d += 256 }
            out[i] = UInt8(d)
        }
        return out
    }

    /// a mod n for any 32-byte a (a < 2n always holds for 256-bit values).
    static func reduced(_ a: [UInt8]) -> [UInt8] { compare(a, order) >= 0 ? subtract(a, order) : a }

    /// Left-pads (or refuses) a big-endian integer to 32 bytes after dropping leading zeros.
    static func padded(_ bytes: some Collection<UInt8>) -> [UInt8]? {
        let trimmed = Array(bytes.drop { $0 == 0 })
        guard trimmed.count <= 32 else { return nil }
        return [UInt8](repeating: 0, count: 32 - trimmed.count) + trimmed
    }
}
