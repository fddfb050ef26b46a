import COpenSSL

/// Modular exponentiation over unsigned big-endian integers, with OpenSSL's `BN_mod_exp`
/// (constant-time when the exponent is secret, as it is for Diffie-Hellman private keys).
public enum ModularExponentiation {
    /// Computes `base ^ exponent mod modulus`.
    ///
    /// - Parameters:
    ///   - base: big-endian unsigned integer, any length.
    ///   - exponent: big-endian unsigned integer, any length.
    ///   - modulus: big-endian unsigned integer, odd and above 1 (a prime for Diffie-Hellman).
    /// - Returns: the result as big-endian bytes left-padded with zeros to `modulus.count`.
    public static func power(base: [UInt8], exponent: [UInt8], modulus: [UInt8]) -> [UInt8] {
        guard let context = BN_CTX_new() else { fatalError("BN_CTX_new: out of memory") }
        defer { BN_CTX_free(context) }
        let b = bignum(base)
        let e = bignum(exponent)
        let m = bignum(modulus)
        let r = BN_new()
        defer {
            BN_free(b)
            BN_clear_free(e)  // the exponent is a private key
            BN_free(m)
            BN_clear_free(r)
        }
        // Constant-time exponentiation: the exponent is a secret key.
        BN_set_flags(e, BN_FLG_CONSTTIME)
        precondition(r != nil && BN_mod_exp(r, b, e, m, context) == 1, "BN_mod_exp failed (modulus must be odd and above 1)")
        return [UInt8](unsafeUninitializedCapacity: modulus.count) { out, count in
            // BN_bn2binpad fails only when the result does not fit, which a reduced value always does.
            precondition(BN_bn2binpad(r, out.baseAddress, Int32(modulus.count)) == Int32(modulus.count), "BN_bn2binpad failed")
            count = modulus.count
        }
    }

    private static func bignum(_ bytes: [UInt8]) -> OpaquePointer? {
        let value = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        precondition(value != nil, "BN_bin2bn: out of memory")
        return value
    }
}
