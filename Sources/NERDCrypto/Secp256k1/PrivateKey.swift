/// A secp256k1 private key: a scalar d with 1 ≤ d < n.
public struct PrivateKey: Sendable, Equatable {
    /// 32 bytes, big-endian.
    public let secret: [UInt8]

    /// - Throws: `Secp256k1Error.invalidPrivateKey` unless `secret` is 32 bytes in 1..<n.
    public init(secret: some Collection<UInt8>) throws(Secp256k1Error) {
        let secret = Array(secret)
        guard Scalar.isValid(secret) else { throw .invalidPrivateKey }
        self.secret = secret
    }

    /// A fresh key from the operating system's CSPRNG (through OpenSSL).
    public static func generate() -> PrivateKey {
        while true {
            if let key = try? PrivateKey(secret: SecureRandom.bytes(count: 32)) { return key }
        }
    }

    /// The matching public key d·G.
    public func publicKey(compressed: Bool = true, backend: Secp256k1Backend = .default) -> PublicKey {
        // A valid scalar always has a public key; a failure here is a broken backend.
        let bytes = try! backend.engine.publicKey(secret: secret, compressed: compressed)
        return PublicKey(validated: bytes)
    }

    /// Signs a 32-byte digest with an RFC 6979 deterministic nonce; the result is low-S, so
    /// every backend (and libsecp256k1-based SDKs) produce the same bytes.
    ///
    /// - Throws: `Secp256k1Error.invalidDigestLength` unless `digest` is 32 bytes.
    public func sign(digest: some Collection<UInt8>, backend: Secp256k1Backend = .default) throws(Secp256k1Error) -> ECDSASignature {
        let digest = Array(digest)
        guard digest.count == 32 else { throw .invalidDigestLength(digest.count) }
        return try backend.engine.sign(digest: digest, secret: secret)
    }

    /// (self + tweak) mod n, the BIP 32 child-key step.
    ///
    /// - Throws: `Secp256k1Error.invalidTweak` when tweak ≥ n or the sum is zero.
    public func adding(tweak: [UInt8], backend: Secp256k1Backend = .default) throws(Secp256k1Error) -> PrivateKey {
        try PrivateKey(secret: backend.engine.tweakAdd(secret: secret, tweak: tweak))
    }
}

extension PrivateKey: CustomStringConvertible {
    /// Never prints the secret.
    public var description: String { "PrivateKey(…)" }
}
