import COpenSSL

/// An incremental digest over data that arrives in parts (a file read in chunks, a piece
/// assembled from 16 KiB blocks).
///
/// Non-copyable so the OpenSSL context has exactly one owner and is freed exactly once.
///
/// ```swift
/// var hasher = StreamingDigest(.sha256)
/// hasher.update(firstBlock)
/// hasher.update(secondBlock)
/// let digest = hasher.finalize()
/// ```
public struct StreamingDigest: ~Copyable {
    private let context: OpaquePointer
    /// The algorithm this hasher computes.
    public let algorithm: DigestAlgorithm

    /// Starts a new digest.
    public init(_ algorithm: DigestAlgorithm) {
        guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new: out of memory") }
        precondition(EVP_DigestInit_ex2(context, algorithm.evp.md, nil) == 1, "EVP_DigestInit_ex2 failed")
        self.context = context
        self.algorithm = algorithm
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Feeds raw memory into the digest.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard buffer.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) == 1, "EVP_DigestUpdate failed")
    }

    /// Feeds bytes into the digest.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        if bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// Ends the digest.
    /// - Returns: `algorithm.outputSize` bytes.
    public consuming func finalize() -> [UInt8] {
        let size = algorithm.outputSize
        let context = self.context
        return [UInt8](unsafeUninitializedCapacity: size) { out, count in
            var written: UInt32 = 0
            precondition(EVP_DigestFinal_ex(context, out.baseAddress, &written) == 1, "EVP_DigestFinal_ex failed")
            count = Int(written)
        }
    }
}
