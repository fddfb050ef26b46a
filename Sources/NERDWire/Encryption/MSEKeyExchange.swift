import NERDCrypto

/// The Diffie-Hellman exchange of Message Stream Encryption (MSE/PE, as specified by Azureus
/// and implemented by libtorrent, Transmission and others): the 768-bit prime P of the spec,
/// generator 2, a 160-bit random private key, 96-byte big-endian public keys.
public struct MSEKeyExchange: Sendable {
    /// Bytes in a public key and in the shared secret S.
    public static let keyLength = 96

    /// The 768-bit prime P, big-endian.
    public static let prime: [UInt8] = Hex.decode(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
            + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563")!

    /// P - 1: a public key of 1 or P - 1 would force a known secret.
    private static let primeMinusOne: [UInt8] = {
        var p = prime
        p[p.count - 1] -= 1  // P ends in 0x63, so no borrow
        return p
    }()

    /// Ya or Yb: 2^private mod P, 96 bytes.
    public let publicKey: [UInt8]
    private let privateKey: [UInt8]

    /// - Parameter privateKey: 20 bytes (160 bits, the spec's size); random by default.
    public init(privateKey: [UInt8] = SecureRandom.bytes(count: 20)) {
        precondition(privateKey.count == 20, "MSE private keys are 160 bits")
        self.privateKey = privateKey
        publicKey = ModularExponentiation.power(base: [2], exponent: privateKey, modulus: Self.prime)
    }

    /// The shared secret S = peer^private mod P.
    /// - Parameter peerPublicKey: the other side's 96-byte public key.
    /// - Returns: 96 bytes, big-endian, left-padded with zeros.
    /// - Throws: ``WireError`` `.invalidEncryptionHandshake` for a key of the wrong size or
    ///   outside 2...P-2 (those give a secret an eavesdropper knows).
    public func sharedSecret(peerPublicKey: [UInt8]) throws(WireError) -> [UInt8] {
        guard peerPublicKey.count == Self.keyLength else {
            throw WireError(.invalidEncryptionHandshake, "public key is \(peerPublicKey.count) bytes, not 96")
        }
        // Big-endian byte strings of equal length compare like the numbers they hold.
        let aboveOne = peerPublicKey.dropLast().contains { $0 != 0 } || peerPublicKey[Self.keyLength - 1] > 1
        guard aboveOne, peerPublicKey.lexicographicallyPrecedes(Self.primeMinusOne) else {
            throw WireError(.invalidEncryptionHandshake, "public key outside 2...P-2", offset: 0)
        }
        return ModularExponentiation.power(base: peerPublicKey, exponent: privateKey, modulus: Self.prime)
    }
}
