/// Why the local ledger refused a transaction or request.
public enum LedgerError: Error, Sendable, Equatable {
    case malformed(PaymentsError)
    /// An input spends an output the ledger has never seen.
    case missingInput(Outpoint)
    /// An input spends an output already spent by another transaction (a double spend).
    case alreadySpent(Outpoint, by: TxID)
    /// An input's unlocking script does not satisfy the output it spends.
    case scriptFailed(input: Int, ScriptError)
    /// nLockTime is still in the future and some input is not final.
    case notFinal(lockTime: UInt32, height: UInt32)
    /// The outputs exceed the inputs, or the fee is below the ledger's rate.
    case insufficientFee(paid: Int64, required: UInt64)
    /// An output below the dust limit.
    case dust(output: Int)
    /// Minting and mining exist only for the local ledger and need a positive amount/count.
    case invalidRequest(String)
    /// SQLite failed (disk full, locked past the timeout, corrupt file).
    case storage(String)
}
