/// A secp256k1 public key as its SEC 1 encoding: 33 bytes compressed (0x02/0x03 ‖ x) or
/// 65 bytes uncompressed (0x04 ‖ x ‖ y); hybrid 0x06/0x07 keys, which old scripts may hold,
/// are accepted too.
public struct PublicKey: Sendable, Hashable {
    /// The encoding as given (or as derived).
    public let bytes: [UInt8]

    /// Checks that the bytes encode a point on the curve.
    ///
    /// - Throws: `Secp256k1Error.invalidPublicKey`.
    public init(bytes: some Collection<UInt8>, backend: Secp256k1Backend = .default) throws(Secp256k1Error) {
        let bytes = Array(bytes)
        _ = try backend.engine.serialize(publicKey: bytes, compressed: true)
        self.bytes = bytes
    }

    init(validated bytes: [UInt8]) { self.bytes = bytes }

    /// Prefix and length fit one of the SEC 1 forms (the curve check is separate).
    public static func hasValidLength(_ bytes: [UInt8]) -> Bool {
        switch bytes.first {
        case 0x02, 0x03: bytes.count == 33
        case 0x04, 0x06, 0x07: bytes.count == 65
        default: false
        }
    }

    /// 33 bytes with a 0x02/0x03 prefix.
    public var isCompressed: Bool { bytes.count == 33 }

    /// The same point, compressed.
    public var compressed: PublicKey {
        isCompressed ? self : PublicKey(validated: try! Secp256k1Backend.default.engine.serialize(publicKey: bytes, compressed: true))
    }

    /// The same point, uncompressed (0x04 ‖ x ‖ y).
    public var uncompressed: PublicKey {
        bytes.first == 0x04 ? self : PublicKey(validated: try! Secp256k1Backend.default.engine.serialize(publicKey: bytes, compressed: false))
    }

    /// Verifies an ECDSA signature over a 32-byte digest. High-S signatures verify (that
    /// rule belongs to script policy); r or s outside 1..<n and wrong digest lengths do not.
    public func verify(signature: ECDSASignature, digest: some Collection<UInt8>, backend: Secp256k1Backend = .default) -> Bool {
        backend.engine.verify(signature: signature, digest: Array(digest), publicKey: bytes)
    }

    /// Verifies a signature by a key given as its encoding, parsing it once (scripts carry keys
    /// as bytes): an encoding that is not a point on the curve does not verify.
    public static func verify(signature: ECDSASignature, digest: some Collection<UInt8>, encodedKey: [UInt8],
                              backend: Secp256k1Backend = .default) -> Bool {
        hasValidLength(encodedKey) && backend.engine.verify(signature: signature, digest: Array(digest), publicKey: encodedKey)
    }

    /// self + tweak·G, compressed: the BIP 32 public child-key step.
    ///
    /// - Throws: `Secp256k1Error.invalidTweak` when tweak ≥ n or the sum is infinity.
    public func adding(tweak: [UInt8], backend: Secp256k1Backend = .default) throws(Secp256k1Error) -> PublicKey {
        PublicKey(validated: try backend.engine.tweakAdd(publicKey: bytes, tweak: tweak))
    }
}
