import NERDCrypto

/// What the interpreter asks of the transaction around a script: signature, lock-time and
/// sequence checks.
public protocol SignatureChecker {
    /// Verifies `signature` (DER ‖ sighash byte) by `publicKey` over the digest of
    /// `scriptCode`. Malformed keys or signatures return false.
    func checkSignature(_ signature: [UInt8], publicKey: [UInt8], scriptCode: [UInt8], forkIDEnabled: Bool) -> Bool
    /// OP_CHECKLOCKTIMEVERIFY (BIP 65) against the transaction's nLockTime.
    func checkLockTime(_ lockTime: Int64) -> Bool
    /// OP_CHECKSEQUENCEVERIFY (BIP 112) against the input's nSequence.
    func checkSequence(_ sequence: Int64) -> Bool
    /// The spending transaction's version, which Chronicle's OP_VER / OP_VERIF read.
    var transactionVersion: UInt32 { get }
}

/// Checks signatures against one input of a transaction.
public struct TransactionSignatureChecker: SignatureChecker {
    public let transaction: Transaction
    public let inputIndex: Int
    /// Amount of the output being spent (committed to by FORKID digests).
    public let satoshis: UInt64
    public let backend: Secp256k1Backend
    private let hashes: SignatureHash

    public init(transaction: Transaction, inputIndex: Int, satoshis: UInt64, hashes: SignatureHash? = nil,
                backend: Secp256k1Backend = .default) {
        self.transaction = transaction
        self.inputIndex = inputIndex
        self.satoshis = satoshis
        self.backend = backend
        self.hashes = hashes ?? SignatureHash(transaction)
    }

    public func checkSignature(_ signature: [UInt8], publicKey: [UInt8], scriptCode: [UInt8], forkIDEnabled: Bool) -> Bool {
        guard PublicKey.hasValidLength(publicKey), let type = signature.last else { return false }
        guard let parsed = ECDSASignature.parseLaxDER(signature.dropLast()) else { return false }
        let sighash = SighashType(rawValue: UInt32(type))
        let digest: [UInt8]
        if sighash.hasForkID && forkIDEnabled {
            guard let preimage = try? hashes.forkIDPreimage(inputIndex: inputIndex, scriptCode: scriptCode, satoshis: satoshis, type: sighash) else {
                return false
            }
            digest = SHA256.doubleHash(preimage)
        } else {
            digest = hashes.original(inputIndex: inputIndex, scriptCode: scriptCode, type: sighash)
        }
        return PublicKey.verify(signature: parsed, digest: digest, encodedKey: publicKey, backend: backend)
    }

    public var transactionVersion: UInt32 { transaction.version }

    public func checkLockTime(_ lockTime: Int64) -> Bool {
        let threshold: Int64 = 500_000_000
        let txLockTime = Int64(transaction.lockTime)
        guard transaction.inputs.indices.contains(inputIndex), (txLockTime < threshold) == (lockTime < threshold) else { return false }
        guard lockTime <= txLockTime else { return false }
        return transaction.inputs[inputIndex].sequence != TransactionInput.finalSequence
    }

    public func checkSequence(_ sequence: Int64) -> Bool {
        guard transaction.inputs.indices.contains(inputIndex) else { return false }
        let txSequence = Int64(transaction.inputs[inputIndex].sequence)
        guard transaction.version >= 2 else { return false }
        let disable: Int64 = 1 << 31
        guard txSequence & disable == 0 else { return false }
        let typeFlag: Int64 = 1 << 22
        let mask: Int64 = typeFlag | 0xffff
        let txMasked = txSequence & mask
        let masked = sequence & mask
        guard (txMasked < typeFlag) == (masked < typeFlag) else { return false }
        return masked <= txMasked
    }
}
