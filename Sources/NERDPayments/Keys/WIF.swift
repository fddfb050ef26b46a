import NERDCrypto

/// Wallet Import Format: a private key as Base58Check(version ‖ secret ‖ [0x01]), the 0x01
/// marking that the matching public key is used compressed.
public struct WIF: Sendable, Equatable {
    public let privateKey: PrivateKey
    public let network: Network
    /// Whether addresses from this key hash the 33-byte compressed public key.
    public let compressed: Bool

    public init(privateKey: PrivateKey, network: Network = .mainnet, compressed: Bool = true) {
        self.privateKey = privateKey
        self.network = network
        self.compressed = compressed
    }

    /// Parses a WIF string of either network.
    ///
    /// - Throws: `PaymentsError.invalidBase58` / `.badChecksum`, `.invalidKeyEncoding` for an
    ///   unknown version byte or length, `.key` for a secret outside 1..<n.
    public init(_ text: String) throws(PaymentsError) {
        let payload = try Base58.checkDecode(text)
        guard let network = Network.allCases.first(where: { $0.wifVersion == payload.first }) else {
            throw .invalidKeyEncoding("unknown WIF version byte")
        }
        switch payload.count {
        case 33: compressed = false
        case 34 where payload[33] == 0x01: compressed = true
        default: throw .invalidKeyEncoding("WIF payload must be 33 bytes, or 34 ending in 0x01")
        }
        do { privateKey = try PrivateKey(secret: payload[1..<33]) } catch { throw .key(error) }
        self.network = network
    }

    /// The Base58Check string.
    public var string: String {
        Base58.checkEncode([network.wifVersion] + privateKey.secret + (compressed ? [0x01] : []))
    }

    /// The public key in the form this WIF says addresses use.
    public var publicKey: PublicKey { privateKey.publicKey(compressed: compressed) }

    /// The P2PKH address of `publicKey` on this key's network.
    public var address: Address { Address(publicKey: publicKey, network: network) }
}
