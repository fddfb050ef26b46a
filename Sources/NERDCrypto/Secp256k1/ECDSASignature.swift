/// A secp256k1 ECDSA signature: the scalars r and s, each 32 bytes big-endian.
///
/// Bitcoin scripts carry signatures in DER (ITU-T X.690) followed by a sighash-type byte;
/// this type handles the DER part only. `derEncoded` is always strict DER (BIP 66).
public struct ECDSASignature: Sendable, Hashable {
    /// 32 bytes, big-endian.
    public let r: [UInt8]
    /// 32 bytes, big-endian.
    public let s: [UInt8]

    /// - Throws: `Secp256k1Error.invalidSignatureEncoding` unless r and s are 32 bytes each.
    public init(r: [UInt8], s: [UInt8]) throws(Secp256k1Error) {
        guard r.count == 32, s.count == 32 else { throw .invalidSignatureEncoding("r and s must be 32 bytes") }
        self.r = r
        self.s = s
    }

    /// The 64-byte r ‖ s form.
    public var compact: [UInt8] { r + s }

    /// s ≤ n/2 (BIP 62 low-S, which BSV's policy and libsecp256k1's verifier require).
    public var isLowS: Bool { Scalar.compare(s, Scalar.halfOrder) <= 0 }

    /// The same signature with s replaced by n − s when it is high; signing always returns
    /// this form.
    public var normalized: ECDSASignature {
        guard !isLowS else { return self }
        return try! ECDSASignature(r: r, s: Scalar.subtract(Scalar.order, s))
    }

    /// 1 ≤ r, s < n; a signature outside that range never verifies.
    public var isInRange: Bool { Scalar.isValid(r) && Scalar.isValid(s) }

    /// r or s is n or more (libsecp256k1's lax parser turns such a signature into zero).
    public var overflowsOrder: Bool { Scalar.compare(r, Scalar.order) >= 0 || Scalar.compare(s, Scalar.order) >= 0 }

    /// Strict DER: SEQUENCE { INTEGER r, INTEGER s }, minimal positive integers, 8–72 bytes.
    public var derEncoded: [UInt8] {
        let rInt = Self.derInteger(r)
        let sInt = Self.derInteger(s)
        return [0x30, UInt8(rInt.count + sInt.count)] + rInt + sInt
    }

    private static func derInteger(_ value: [UInt8]) -> [UInt8] {
        var body = Array(value.drop { $0 == 0 })
        if body.isEmpty || body[0] & 0x80 != 0 { body.insert(0, at: 0) }
        return [0x02, UInt8(body.count)] + body
    }

    /// Parses a strict DER signature (BIP 66), with no sighash byte after it.
    ///
    /// - Throws: `Secp256k1Error.invalidSignatureEncoding` naming the broken rule, or when
    ///   r or s is wider than 256 bits.
    public init(derEncoded der: some Collection<UInt8>) throws(Secp256k1Error) {
        let sig = Array(der)
        guard Self.isStrictDER(sig) else { throw .invalidSignatureEncoding("not strict DER (BIP 66)") }
        let lenR = Int(sig[3])
        let lenS = Int(sig[5 + lenR])
        guard let r = Scalar.padded(sig[4..<(4 + lenR)]), let s = Scalar.padded(sig[(6 + lenR)..<(6 + lenR + lenS)]) else {
            throw .invalidSignatureEncoding("r or s wider than 256 bits")
        }
        self.r = r
        self.s = s
    }

    /// BIP 66's encoding check, applied to a DER signature without its sighash byte.
    public static func isStrictDER(_ bytes: some Collection<UInt8>) -> Bool {
        let sig = Array(bytes)
        let len = sig.count
        guard len >= 8, len <= 72, sig[0] == 0x30, Int(sig[1]) == len - 2 else { return false }
        let lenR = Int(sig[3])
        guard 5 + lenR < len else { return false }
        let lenS = Int(sig[5 + lenR])
        guard lenR + lenS + 6 == len else { return false }
        guard sig[2] == 0x02, lenR != 0, sig[4] & 0x80 == 0 else { return false }
        if lenR > 1, sig[4] == 0, sig[5] & 0x80 == 0 { return false }
        guard sig[lenR + 4] == 0x02, lenS != 0, sig[lenR + 6] & 0x80 == 0 else { return false }
        if lenS > 1, sig[lenR + 6] == 0, sig[lenR + 7] & 0x80 == 0 { return false }
        return true
    }

    /// Parses DER the way pre-BIP 66 nodes did (long-form lengths, excess zero padding),
    /// for verifying old transactions without the DERSIG rule.
    ///
    /// - Returns: nil when the bytes are not a SEQUENCE of two INTEGERs or a value is wider
    ///   than 256 bits; such a signature never verifies.
    public static func parseLaxDER(_ bytes: some Collection<UInt8>) -> ECDSASignature? {
        let sig = Array(bytes)
        var pos = 0
        func length() -> Int? {
            guard pos < sig.count else { return nil }
            var len = Int(sig[pos])
            pos += 1
            guard len & 0x80 != 0 else { return len }
            var count = len & 0x7f
            guard pos + count <= sig.count else { return nil }
            while count > 0, sig[pos] == 0 { pos += 1; count -= 1 }
            guard count <= 4 else { return nil }
            len = 0
            for _ in 0..<count { len = len << 8 | Int(sig[pos]); pos += 1 }
            return len
        }
        func integer() -> [UInt8]? {
            guard pos < sig.count, sig[pos] == 0x02 else { return nil }
            pos += 1
            guard let len = length(), len <= sig.count - pos else { return nil }
            defer { pos += len }
            return Scalar.padded(sig[pos..<(pos + len)])
        }
        guard sig.first == 0x30 else { return nil }
        pos = 1
        guard length() != nil, let r = integer(), let s = integer() else { return nil }
        return try? ECDSASignature(r: r, s: s)
    }
}
