import COpenSSL

/// HMAC (RFC 2104) over SHA-256 or SHA-512, as used by RFC 6979 nonces and BIP32.
public enum HMAC {
    /// Computes an HMAC tag.
    ///
    /// - Parameters:
    ///   - algorithm: `.sha256` (32-byte tag) or `.sha512` (64-byte tag); SHA-1 also works.
    ///   - key: any length; keys longer than the block size are hashed first (RFC 2104).
    ///   - message: the authenticated data.
    /// - Returns: `algorithm.outputSize` bytes.
    public static func authenticationCode(
        _ algorithm: DigestAlgorithm, key: some Sequence<UInt8>, message: some Sequence<UInt8>
    ) -> [UInt8] {
        let key = Array(key)
        let message = Array(message)
        return [UInt8](unsafeUninitializedCapacity: algorithm.outputSize) { out, count in
            var written: UInt32 = 0
            let result = key.withUnsafeBytes { k in
                message.withUnsafeBytes { m in
                    COpenSSL.HMAC(
                        algorithm.evp.md, k.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(k.count),
                        m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, out.baseAddress, &written)
                }
            }
            precondition(result != nil, "HMAC failed")
            count = Int(written)
        }
    }

    /// HMAC-SHA256 (RFC 4231). - Returns: 32 bytes.
    public static func sha256(key: some Sequence<UInt8>, message: some Sequence<UInt8>) -> [UInt8] {
        authenticationCode(.sha256, key: key, message: message)
    }

    /// HMAC-SHA512 (RFC 4231). - Returns: 64 bytes.
    public static func sha512(key: some Sequence<UInt8>, message: some Sequence<UInt8>) -> [UInt8] {
        authenticationCode(.sha512, key: key, message: message)
    }
}
