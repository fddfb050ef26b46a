import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's CSPRNG (`RAND_bytes`), which the
/// operating system seeds. Use for keys, peer IDs, DHT secrets and connection-ID keys.
public enum SecureRandom {
    /// - Parameter count: number of bytes, at least 0.
    /// - Returns: `count` random bytes.
    public static func bytes(count: Int) -> [UInt8] {
        precondition(count >= 0, "negative byte count")
        return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            if count > 0 {
                // RAND_bytes fails only when the OS entropy source is unavailable; continuing
                // with predictable bytes would be worse than stopping.
                precondition(RAND_bytes(out.baseAddress, Int32(count)) == 1, "RAND_bytes failed: no entropy source")
            }
            initialized = count
        }
    }
}
