/// Why a wallet operation failed.
public enum WalletError: Error, Sendable, Equatable {
    /// No wallet at the path (`nerd wallet init` creates one).
    case notInitialised(String)
    /// A wallet already exists at the path; init never overwrites keys.
    case alreadyExists(String)
    /// The wallet's network differs from the one asked for.
    case networkMismatch(wallet: Network, requested: Network)
    /// The spendable balance does not cover the amount and fee.
    case insufficientFunds(available: UInt64, needed: UInt64)
    /// An imported UTXO's locking script is not a P2PKH script of one of the wallet's keys.
    case notOurs(String)
    /// An amount of 0, or below the dust limit.
    case invalidAmount(UInt64)
    /// The wallet has no record of this transaction.
    case unknownTransaction(String)
    case payments(PaymentsError)
    case ledger(LedgerError)
    case broadcast(BroadcastError)
    /// SQLite failed (disk full, locked past the timeout, corrupt file).
    case storage(String)
}
