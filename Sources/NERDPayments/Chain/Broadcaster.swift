/// What the chain says about transactions: ARC's status endpoint in production, the local
/// ledger for demos and tests.
public protocol ChainSource: Sendable {
    /// The status of a transaction the service knows, else nil.
    ///
    /// - Throws: `BroadcastError.unavailable` when the service cannot be asked.
    func status(of txid: TxID) async throws -> TransactionStatus?
}

/// Where transactions go to be mined: ARC in production, the local ledger for demos and
/// tests.
public protocol Broadcaster: ChainSource {
    /// Submits a signed transaction.
    ///
    /// - Returns: what the service reports for it.
    /// - Throws: `BroadcastError.rejected` when it refuses the transaction, other errors when
    ///   the outcome is unknown (the transaction may still be mined).
    func broadcast(_ transaction: Transaction) async throws -> BroadcastResult
}

/// A broadcast outcome.
public struct BroadcastResult: Sendable, Hashable {
    public var txid: TxID
    public var status: TransactionStatus

    public init(txid: TxID, status: TransactionStatus) {
        self.txid = txid
        self.status = status
    }
}

/// Where a transaction stands.
public enum TransactionStatus: Sendable, Hashable {
    /// Accepted, not yet in a block; `detail` carries the service's own word (ARC's
    /// `SEEN_ON_NETWORK`, for example).
    case unconfirmed(detail: String)
    /// In a block at `height`.
    case mined(height: UInt32)
    /// Refused or double-spent.
    case rejected(reason: String)

    public var isMined: Bool { if case .mined = self { true } else { false } }
}

/// Why a broadcast failed.
public enum BroadcastError: Error, Sendable, Equatable {
    /// The service refused the transaction; it will not be mined as it is.
    case rejected(String)
    /// The service could not be reached or answered something unreadable; the outcome is
    /// unknown.
    case unavailable(String)
}
