import NERDCrypto

/// How an input's unlocking script is made.
public enum InputSigner: Sendable {
    /// P2PKH (or an inscription followed by P2PKH): <signature> <public key>.
    case p2pkh(PrivateKey, compressed: Bool = true)
    /// Bare multisig: OP_0 <signature>… with these keys, in the script's key order.
    case multisig([PrivateKey])

    /// Upper bound of the unlocking script's size, for fee estimates (a DER signature with
    /// its sighash byte is at most 73 bytes).
    func estimatedUnlockingSize(compressedKeyFallback: Bool = true) -> Int {
        switch self {
        case .p2pkh(_, let compressed): 1 + 73 + 1 + (compressed ? 33 : 65)
        case .multisig(let keys): 1 + keys.count * 74
        }
    }
}

/// An output to spend, with what it takes to sign for it.
public struct SpendableOutput: Sendable {
    public var outpoint: Outpoint
    public var satoshis: UInt64
    public var lockingScript: Script
    public var signer: InputSigner
    /// Below 0xffffffff arms the transaction's nLockTime.
    public var sequence: UInt32

    public init(outpoint: Outpoint, satoshis: UInt64, lockingScript: Script, signer: InputSigner,
                sequence: UInt32 = TransactionInput.finalSequence) {
        self.outpoint = outpoint
        self.satoshis = satoshis
        self.lockingScript = lockingScript
        self.signer = signer
        self.sequence = sequence
    }
}

/// Builds and signs a version 1 transaction: the given inputs and outputs, a fee at
/// `feeRate`, and change to `changeScript` when the change meets the dust rule.
public struct TransactionBuilder: Sendable {
    public var inputs: [SpendableOutput] = []
    public var outputs: [TransactionOutput] = []
    /// Where the remainder goes; nil gives it all to the miner.
    public var changeScript: Script?
    public var feeRate: FeeRate = .standard
    public var lockTime: UInt32 = 0
    public var sighashType: SighashType = .allForkID

    public init() {}

    /// The unsigned size with maximal signatures, without a change output.
    func estimatedSize(withChange: Bool) -> Int {
        var tx = Transaction(version: 1, inputs: inputs.map {
            TransactionInput(outpoint: $0.outpoint, unlockingScript: Script([UInt8](repeating: 0, count: $0.signer.estimatedUnlockingSize())), sequence: $0.sequence)
        }, outputs: outputs, lockTime: lockTime)
        if withChange, let changeScript { tx.outputs.append(TransactionOutput(satoshis: 0, lockingScript: changeScript)) }
        return tx.size
    }

    /// The fee this transaction pays with a change output.
    public var estimatedFee: UInt64 { feeRate.fee(forSize: estimatedSize(withChange: changeScript != nil)) }

    /// Signs every input.
    ///
    /// - Returns: the transaction and the change output's index, if one was added.
    /// - Throws: `PaymentsError.invalidSigningRequest` when inputs do not cover outputs and
    ///   fee, an output breaks the dust rule, or a key does not own its input.
    public func build() throws(PaymentsError) -> (transaction: Transaction, changeIndex: Int?) {
        guard !inputs.isEmpty else { throw .invalidSigningRequest("no inputs") }
        for output in outputs where !Dust.isAllowed(output) {
            throw .invalidSigningRequest("an output of \(output.satoshis) satoshis is below the dust limit")
        }
        // Amounts above 21 million BSV are refused first, so the sums below cannot overflow.
        guard inputs.allSatisfy({ $0.satoshis <= Transaction.maxMoney }), outputs.allSatisfy({ $0.satoshis <= Transaction.maxMoney }),
              inputs.count <= 100_000, outputs.count <= 100_000 else {
            throw .invalidSigningRequest("an amount above 21 million BSV")
        }
        let inputTotal = inputs.reduce(UInt64(0)) { $0 + $1.satoshis }
        let outputTotal = outputs.reduce(UInt64(0)) { $0 + $1.satoshis }
        let feeWithoutChange = feeRate.fee(forSize: estimatedSize(withChange: false))
        guard feeWithoutChange <= Transaction.maxMoney, inputTotal >= outputTotal + feeWithoutChange else {
            throw .invalidSigningRequest("inputs of \(inputTotal) satoshis do not cover \(outputTotal) plus a fee of \(feeWithoutChange)")
        }
        var tx = Transaction(version: 1, inputs: inputs.map {
            TransactionInput(outpoint: $0.outpoint, sequence: $0.sequence)
        }, outputs: outputs, lockTime: lockTime)
        var changeIndex: Int?
        if let changeScript {
            let fee = min(feeRate.fee(forSize: estimatedSize(withChange: true)), Transaction.maxMoney)
            if inputTotal >= outputTotal + fee + Dust.minimumOutput {
                tx.outputs.append(TransactionOutput(satoshis: inputTotal - outputTotal - fee, lockingScript: changeScript))
                changeIndex = tx.outputs.count - 1
            }
        }
        let hashes = SignatureHash(tx)
        for (i, input) in inputs.enumerated() {
            switch input.signer {
            case .p2pkh(let key, let compressed):
                try tx.signP2PKH(inputIndex: i, key: key, compressed: compressed, lockingScript: input.lockingScript,
                                 satoshis: input.satoshis, type: sighashType, hashes: hashes)
            case .multisig(let keys):
                try tx.signMultisig(inputIndex: i, keys: keys, lockingScript: input.lockingScript, satoshis: input.satoshis,
                                    type: sighashType, hashes: hashes)
            }
        }
        return (tx, changeIndex)
    }
}
