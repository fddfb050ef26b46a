import NERDCrypto

/// A P2PKH address: Base58Check(version ‖ HASH160(public key)).
public struct Address: Sendable, Hashable, CustomStringConvertible {
    /// RIPEMD-160(SHA-256(public key)), 20 bytes.
    public let publicKeyHash: [UInt8]
    public let network: Network

    /// - Throws: `PaymentsError.invalidKeyEncoding` unless the hash is 20 bytes.
    public init(publicKeyHash: [UInt8], network: Network = .mainnet) throws(PaymentsError) {
        guard publicKeyHash.count == 20 else { throw .invalidKeyEncoding("a public-key hash is 20 bytes") }
        self.publicKeyHash = publicKeyHash
        self.network = network
    }

    public init(publicKey: PublicKey, network: Network = .mainnet) {
        publicKeyHash = Hash160.hash(publicKey.bytes)
        self.network = network
    }

    /// Parses a P2PKH address of either network.
    ///
    /// - Throws: `PaymentsError.invalidBase58` / `.badChecksum`, or `.invalidKeyEncoding` for a
    ///   P2SH address, an unknown version byte or a wrong length.
    public init(_ text: String) throws(PaymentsError) {
        guard !text.isEmpty else { throw .invalidKeyEncoding("an empty address") }
        let payload = try Base58.checkDecode(text)
        guard payload.count == 21 else { throw .invalidKeyEncoding("an address payload is 21 bytes") }
        if Network.allCases.contains(where: { $0.p2shVersion == payload[0] }) {
            throw .invalidKeyEncoding("P2SH addresses cannot be paid on BSV")
        }
        guard let network = Network.allCases.first(where: { $0.p2pkhVersion == payload[0] }) else {
            throw .invalidKeyEncoding("unknown address version byte")
        }
        publicKeyHash = Array(payload[1...])
        self.network = network
    }

    /// The Base58Check string (`1...` on mainnet, `m...`/`n...` on testnet).
    public var string: String { Base58.checkEncode([network.p2pkhVersion] + publicKeyHash) }

    public var description: String { string }

    /// OP_DUP OP_HASH160 <hash> OP_EQUALVERIFY OP_CHECKSIG.
    public var lockingScript: Script { .p2pkh(publicKeyHash: publicKeyHash) }
}
