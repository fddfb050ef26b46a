/// Why a secp256k1 key, signature or tweak was refused.
public enum Secp256k1Error: Error, Equatable, Sendable {
    /// A private key must be 32 bytes, non-zero and below the group order n.
    case invalidPrivateKey
    /// A public key must be 33 bytes (0x02/0x03 prefix) or 65 bytes (0x04, or hybrid
    /// 0x06/0x07) and lie on the curve.
    case invalidPublicKey
    /// A DER signature that breaks the encoding rules (BIP 66 strict DER) or whose r or s is
    /// outside 1..<n.
    case invalidSignatureEncoding(String)
    /// A digest to sign or verify must be exactly 32 bytes.
    case invalidDigestLength(Int)
    /// A BIP 32 tweak at or above n, or one that lands on the point at infinity / zero.
    case invalidTweak
    /// The backend library reported a failure it should not have (out of memory, say).
    case backendFailure(String)
}
