/// Context-free transaction rules (the node's CheckTransaction), applied before any script
/// runs.
extension Transaction {
    /// 21 million BSV in satoshis: no output, and no sum of outputs, may exceed it.
    public static let maxMoney: UInt64 = 21_000_000 * 100_000_000

    /// A coinbase spends the null outpoint (all-zero txid, index 0xffffffff).
    public var isCoinbase: Bool {
        inputs.count == 1 && inputs[0].outpoint.vout == 0xffff_ffff && inputs[0].outpoint.txid.bytes.allSatisfy { $0 == 0 }
    }

    /// Checks the rules every transaction must meet on its own.
    ///
    /// - Throws: `PaymentsError.malformedTransaction` for no inputs or outputs, an amount
    ///   above `maxMoney` (each or in sum), an outpoint spent twice, a coinbase unlocking
    ///   script outside 2–100 bytes, or a null outpoint in a non-coinbase.
    public func checkStructure() throws(PaymentsError) {
        guard !inputs.isEmpty else { throw .malformedTransaction("no inputs") }
        guard !outputs.isEmpty else { throw .malformedTransaction("no outputs") }
        var total: UInt64 = 0
        for output in outputs {
            guard output.satoshis <= Self.maxMoney else { throw .malformedTransaction("output above 21 million BSV") }
            total += output.satoshis
            guard total <= Self.maxMoney else { throw .malformedTransaction("outputs above 21 million BSV") }
        }
        var seen = Set<Outpoint>()
        for input in inputs {
            guard seen.insert(input.outpoint).inserted else { throw .malformedTransaction("outpoint \(input.outpoint) spent twice") }
        }
        if isCoinbase {
            guard (2...100).contains(inputs[0].unlockingScript.bytes.count) else {
                throw .malformedTransaction("coinbase script must be 2–100 bytes")
            }
        } else {
            for input in inputs where input.outpoint.vout == 0xffff_ffff && input.outpoint.txid.bytes.allSatisfy({ $0 == 0 }) {
                throw .malformedTransaction("null outpoint in a non-coinbase transaction")
            }
        }
    }
}
