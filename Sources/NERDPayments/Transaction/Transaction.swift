import NERDCrypto

/// One input: the outpoint it spends, its unlocking script and its sequence number.
public struct TransactionInput: Sendable, Hashable {
    public var outpoint: Outpoint
    public var unlockingScript: Script
    /// 0xffffffff makes the input final; anything lower arms nLockTime.
    public var sequence: UInt32

    public static let finalSequence: UInt32 = 0xffff_ffff

    public init(outpoint: Outpoint, unlockingScript: Script = Script(), sequence: UInt32 = finalSequence) {
        self.outpoint = outpoint
        self.unlockingScript = unlockingScript
        self.sequence = sequence
    }
}

/// One output: an amount in satoshis and the locking script that guards it.
public struct TransactionOutput: Sendable, Hashable {
    public var satoshis: UInt64
    public var lockingScript: Script

    public init(satoshis: UInt64, lockingScript: Script) {
        self.satoshis = satoshis
        self.lockingScript = lockingScript
    }

    var serialized: [UInt8] {
        var out: [UInt8] = []
        out.appendLE(satoshis)
        out.appendVarBytes(lockingScript.bytes)
        return out
    }
}

/// A BSV transaction in the original (pre-SegWit) serialisation, which BSV keeps.
public struct Transaction: Sendable, Hashable {
    /// NERD builds version 1: since Chronicle, version 2 and above opt out of the
    /// anti-malleability rules that payment channels rely on.
    public var version: UInt32
    public var inputs: [TransactionInput]
    public var outputs: [TransactionOutput]
    /// A block height (below 500,000,000) or a Unix time, enforced while any input is
    /// non-final.
    public var lockTime: UInt32

    /// Largest serialised transaction `init(bytes:)` accepts by default (32 MiB): far above
    /// anything NERD builds or receives, low enough to bound memory.
    public static let defaultMaxSize = 32 << 20

    public init(version: UInt32 = 1, inputs: [TransactionInput] = [], outputs: [TransactionOutput] = [], lockTime: UInt32 = 0) {
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.lockTime = lockTime
    }

    /// Parses a serialised transaction.
    ///
    /// - Throws: `PaymentsError.malformedTransaction` when it is larger than `maxSize`,
    ///   truncated, has trailing bytes, or declares more inputs, outputs or script bytes than
    ///   it contains.
    public init(bytes: [UInt8], maxSize: Int = Transaction.defaultMaxSize) throws(PaymentsError) {
        guard bytes.count <= maxSize else { throw .malformedTransaction("\(bytes.count) bytes exceeds the \(maxSize)-byte limit") }
        var reader = ByteReader(bytes)
        version = try reader.readUInt32()
        // An input is at least 41 bytes (outpoint 36, script length 1, sequence 4).
        let inputCount = try reader.readCount(minimumSize: 41, what: "input")
        var inputs: [TransactionInput] = []
        inputs.reserveCapacity(inputCount)
        for _ in 0..<inputCount {
            let txid = TxID(bytes: try reader.read(32))
            let vout = try reader.readUInt32()
            let script = try reader.read(try reader.readCount(minimumSize: 1, what: "script byte"))
            let sequence = try reader.readUInt32()
            inputs.append(TransactionInput(outpoint: Outpoint(txid: txid, vout: vout), unlockingScript: Script(script), sequence: sequence))
        }
        // An output is at least 9 bytes (amount 8, script length 1).
        let outputCount = try reader.readCount(minimumSize: 9, what: "output")
        var outputs: [TransactionOutput] = []
        outputs.reserveCapacity(outputCount)
        for _ in 0..<outputCount {
            let satoshis = try reader.readUInt64()
            let script = try reader.read(try reader.readCount(minimumSize: 1, what: "script byte"))
            outputs.append(TransactionOutput(satoshis: satoshis, lockingScript: Script(script)))
        }
        lockTime = try reader.readUInt32()
        guard reader.remaining == 0 else { throw .malformedTransaction("\(reader.remaining) trailing bytes") }
        self.inputs = inputs
        self.outputs = outputs
    }

    /// Parses hex.
    ///
    /// - Throws: `PaymentsError.malformedTransaction`, as `init(bytes:)`, or for bad hex.
    public init(hex: String, maxSize: Int = Transaction.defaultMaxSize) throws(PaymentsError) {
        guard hex.utf8.count <= maxSize * 2, let bytes = Hex.decode(hex) else { throw .malformedTransaction("not hex, or too long") }
        try self.init(bytes: bytes, maxSize: maxSize)
    }

    /// The serialised bytes.
    public var serialized: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10 + inputs.count * 150 + outputs.count * 34)
        out.appendLE(version)
        out.appendVarInt(inputs.count)
        for input in inputs {
            out += input.outpoint.serialized
            out.appendVarBytes(input.unlockingScript.bytes)
            out.appendLE(input.sequence)
        }
        out.appendVarInt(outputs.count)
        for output in outputs { out += output.serialized }
        out.appendLE(lockTime)
        return out
    }

    public var hex: String { Hex.encode(serialized) }

    public var txid: TxID { TxID(bytes: SHA256.doubleHash(serialized)) }

    /// Serialised size in bytes (what fees are charged on).
    public var size: Int { serialized.count }

    /// Sum of the output amounts; nil on overflow.
    public var totalOutput: UInt64? {
        var sum: UInt64 = 0
        for output in outputs {
            let (s, overflow) = sum.addingReportingOverflow(output.satoshis)
            if overflow { return nil }
            sum = s
        }
        return sum
    }

    /// Every input has the final sequence number, or the lock time has passed: the
    /// transaction can be mined at `height` / `time` (BIP 113's median time past).
    public func isFinal(height: UInt32, time: UInt32) -> Bool {
        if lockTime == 0 { return true }
        let threshold: UInt32 = 500_000_000
        if lockTime < (lockTime < threshold ? height : time) { return true }
        return inputs.allSatisfy { $0.sequence == TransactionInput.finalSequence }
    }
}
