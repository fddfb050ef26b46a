/// Deterministic ECDSA nonces (RFC 6979, section 3.2) for secp256k1 with HMAC-SHA256, the
/// construction libsecp256k1 and every BSV SDK use, so signatures match byte for byte.
public enum RFC6979 {
    /// The nonce candidates k for a key and digest, in the order RFC 6979 generates them.
    ///
    /// - Parameters:
    ///   - secret: the 32-byte private key.
    ///   - digest: the 32-byte message hash (taken mod n, as bits2octets says).
    ///   - count: how many candidates to produce; signing uses the first unless it yields
    ///     r = 0 or s = 0.
    /// - Returns: 32-byte scalars k with 1 ≤ k < n.
    public static func nonces(secret: [UInt8], digest: [UInt8], count: Int = 1) -> [[UInt8]] {
        precondition(secret.count == 32 && digest.count == 32)
        let h1 = Scalar.reduced(digest)
        var v = [UInt8](repeating: 0x01, count: 32)
        var k = [UInt8](repeating: 0x00, count: 32)
        k = HMAC.sha256(key: k, message: v + [0x00] + secret + h1)
        v = HMAC.sha256(key: k, message: v)
        k = HMAC.sha256(key: k, message: v + [0x01] + secret + h1)
        v = HMAC.sha256(key: k, message: v)
        var out: [[UInt8]] = []
        while out.count < count {
            v = HMAC.sha256(key: k, message: v)
            if Scalar.isValid(v) { out.append(v) }
            if out.count == count { break }
            k = HMAC.sha256(key: k, message: v + [0x00])
            v = HMAC.sha256(key: k, message: v)
        }
        return out
    }
}
