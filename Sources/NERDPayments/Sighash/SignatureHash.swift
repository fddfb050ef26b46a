import NERDCrypto

/// The digests a BSV signature signs.
///
/// - FORKID digest: BIP 143's construction with the spent amount, which BSV has required since
///   2017 (`SIGHASH_FORKID`, 0x40).
/// - Original digest: Satoshi's, used for pre-fork transactions and, since Chronicle, when the
///   0x20 bit is set.
///
/// Digests are returned in the order they are signed (SHA-256d output); display tools
/// (and the node's test files) print them byte-reversed.
public struct SignatureHash: Sendable {
    public let transaction: Transaction
    // The BIP 143 intermediate hashes are shared by every input, so a transaction with many
    // inputs hashes its outpoints, sequences and outputs once.
    private let hashPrevouts: [UInt8]
    private let hashSequence: [UInt8]
    private let hashOutputs: [UInt8]

    private static let zero = [UInt8](repeating: 0, count: 32)
    /// The uint256 value 1 the original digest yields for an input index out of range or
    /// SIGHASH_SINGLE without a matching output (a consensus quirk signatures must honour).
    public static let one: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)

    public init(_ transaction: Transaction) {
        self.transaction = transaction
        var prevouts: [UInt8] = []
        var sequences: [UInt8] = []
        for input in transaction.inputs {
            prevouts += input.outpoint.serialized
            sequences.appendLE(input.sequence)
        }
        hashPrevouts = SHA256.doubleHash(prevouts)
        hashSequence = SHA256.doubleHash(sequences)
        hashOutputs = SHA256.doubleHash(transaction.outputs.flatMap(\.serialized))
    }

    /// The digest the node uses for `type`: FORKID when FORKID is set and CHRONICLE clear,
    /// otherwise the original.
    ///
    /// - Parameters:
    ///   - scriptCode: the locking script being satisfied (from the last executed
    ///     OP_CODESEPARATOR on).
    ///   - satoshis: the amount of the output being spent.
    /// - Throws: `PaymentsError.invalidSigningRequest` for a FORKID digest of an input that
    ///   does not exist.
    public func digest(inputIndex: Int, scriptCode: [UInt8], satoshis: UInt64, type: SighashType) throws(PaymentsError) -> [UInt8] {
        if type.usesForkIDDigest {
            return SHA256.doubleHash(try forkIDPreimage(inputIndex: inputIndex, scriptCode: scriptCode, satoshis: satoshis, type: type))
        }
        return original(inputIndex: inputIndex, scriptCode: scriptCode, type: type)
    }

    /// The BIP 143-style preimage (what `digest` hashes for FORKID types).
    ///
    /// - Throws: `PaymentsError.invalidSigningRequest` when `inputIndex` is out of range.
    public func forkIDPreimage(inputIndex: Int, scriptCode: [UInt8], satoshis: UInt64, type: SighashType) throws(PaymentsError) -> [UInt8] {
        guard transaction.inputs.indices.contains(inputIndex) else {
            throw .invalidSigningRequest("input \(inputIndex) does not exist")
        }
        let input = transaction.inputs[inputIndex]
        let outputs: [UInt8]
        if !type.isSingle && !type.isNone {
            outputs = hashOutputs
        } else if type.isSingle && inputIndex < transaction.outputs.count {
            outputs = SHA256.doubleHash(transaction.outputs[inputIndex].serialized)
        } else {
            outputs = Self.zero
        }
        var out: [UInt8] = []
        out.reserveCapacity(160 + scriptCode.count)
        out.appendLE(transaction.version)
        out += type.anyoneCanPay ? Self.zero : hashPrevouts
        out += type.anyoneCanPay || type.isSingle || type.isNone ? Self.zero : hashSequence
        out += input.outpoint.serialized
        out.appendVarBytes(scriptCode)
        out.appendLE(satoshis)
        out.appendLE(input.sequence)
        out += outputs
        out.appendLE(transaction.lockTime)
        out.appendLE(type.rawValue)
        return out
    }

    /// The original digest: the transaction with other inputs' scripts emptied, the signed
    /// input's script replaced by `scriptCode` without OP_CODESEPARATORs, and outputs and
    /// sequences trimmed as NONE / SINGLE / ANYONECANPAY say.
    public func original(inputIndex: Int, scriptCode: [UInt8], type: SighashType) -> [UInt8] {
        let tx = transaction
        guard tx.inputs.indices.contains(inputIndex) else { return Self.one }
        if type.isSingle && inputIndex >= tx.outputs.count { return Self.one }
        let code = Self.removingCodeSeparators(scriptCode)
        var out: [UInt8] = []
        out.appendLE(tx.version)
        let signed = type.anyoneCanPay ? [inputIndex] : Array(tx.inputs.indices)
        out.appendVarInt(signed.count)
        for i in signed {
            let input = tx.inputs[i]
            out += input.outpoint.serialized
            out.appendVarBytes(i == inputIndex ? code : [])
            out.appendLE(i != inputIndex && (type.isNone || type.isSingle) ? 0 : input.sequence)
        }
        if type.isNone {
            out.appendVarInt(0)
        } else if type.isSingle {
            out.appendVarInt(inputIndex + 1)
            for _ in 0..<inputIndex {
                out.appendLE(UInt64.max)  // value -1
                out.appendVarInt(0)
            }
            out += tx.outputs[inputIndex].serialized
        } else {
            out.appendVarInt(tx.outputs.count)
            for output in tx.outputs { out += output.serialized }
        }
        out.appendLE(tx.lockTime)
        out.appendLE(type.rawValue)
        return SHA256.doubleHash(out)
    }

    /// The script with every OP_CODESEPARATOR opcode (not bytes inside pushes) removed; a
    /// truncated final push is kept as it is.
    static func removingCodeSeparators(_ script: [UInt8]) -> [UInt8] {
        guard script.contains(Opcode.OP_CODESEPARATOR) else { return script }
        var reader = ScriptReader(script)
        var out: [UInt8] = []
        var start = 0
        while true {
            let chunk: ScriptChunk?
            do { chunk = try reader.next() } catch { break }
            guard let chunk else { break }
            if chunk.opcode == Opcode.OP_CODESEPARATOR {
                out += script[start..<(reader.position - 1)]
                start = reader.position
            }
        }
        out += script[start...]
        return out
    }
}
