import COpenSSL

/// A message digest algorithm provided by OpenSSL libcrypto.
///
/// Each case names a fixed-output hash: SHA-1 (FIPS 180-4, 20 bytes), SHA-256 and SHA-512
/// (FIPS 180-4, 32 and 64 bytes) and RIPEMD-160 (Dobbertin, Bosselaers, Preneel 1996, 20 bytes).
public enum DigestAlgorithm: Sendable, CaseIterable {
    case sha1
    case sha256
    case sha512
    case ripemd160

    /// Output size in bytes.
    public var outputSize: Int {
        switch self {
        case .sha1, .ripemd160: 20
        case .sha256: 32
        case .sha512: 64
        }
    }

    var evp: EVPMessageDigest {
        switch self {
        case .sha1: .sha1
        case .sha256: .sha256
        case .sha512: .sha512
        case .ripemd160: .ripemd160
        }
    }
}

/// A fetched `EVP_MD`. Fetching once avoids OpenSSL's implicit provider lookup on every call.
///
/// `@unchecked Sendable`: an `EVP_MD` returned by `EVP_MD_fetch` is immutable and reference
/// counted by OpenSSL, which documents it as safe to share between threads; it is never freed.
struct EVPMessageDigest: @unchecked Sendable {
    let md: OpaquePointer

    private init(_ name: String) {
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            // Only a broken OpenSSL install (missing default provider) gets here.
            fatalError("OpenSSL libcrypto has no \(name) digest; is the default provider installed?")
        }
        self.md = md
    }

    static let sha1 = EVPMessageDigest("SHA1")
    static let sha256 = EVPMessageDigest("SHA256")
    static let sha512 = EVPMessageDigest("SHA512")
    static let ripemd160 = EVPMessageDigest("RIPEMD160")
}

/// Computes a digest of a contiguous byte buffer in one call.
///
/// - Parameters:
///   - algorithm: the hash to apply.
///   - bytes: the input.
/// - Returns: `algorithm.outputSize` bytes.
@inlinable
public func digest(_ algorithm: DigestAlgorithm, _ bytes: some Sequence<UInt8>) -> [UInt8] {
    if let result = bytes.withContiguousStorageIfAvailable({ digest(algorithm, UnsafeRawBufferPointer($0)) }) {
        return result
    }
    let copy = Array(bytes)
    return copy.withUnsafeBytes { digest(algorithm, $0) }
}

/// Computes a digest of raw memory in one call; the hot path for piece hashing.
///
/// - Returns: `algorithm.outputSize` bytes.
public func digest(_ algorithm: DigestAlgorithm, _ buffer: UnsafeRawBufferPointer) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: algorithm.outputSize) { out, count in
        var size: UInt32 = 0
        let ok = EVP_Digest(buffer.baseAddress, buffer.count, out.baseAddress, &size, algorithm.evp.md, nil)
        precondition(ok == 1 && Int(size) == algorithm.outputSize, "EVP_Digest failed")
        count = Int(size)
    }
}
