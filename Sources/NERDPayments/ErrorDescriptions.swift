/// Readable reasons for the errors `nerd` prints.
extension PaymentsError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .invalidBase58(let why): "not Base58: \(why)"
        case .badChecksum: "bad Base58Check checksum (a mistyped address or key?)"
        case .invalidKeyEncoding(let why): why
        case .malformedScript(let why): "malformed script: \(why)"
        case .malformedTransaction(let why): "malformed transaction: \(why)"
        case .invalidSigningRequest(let why): why
        case .key(let error): "key: \(error)"
        }
    }
}

extension LedgerError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformed(let error): error.description
        case .missingInput(let outpoint): "input \(outpoint) is not on the ledger"
        case .alreadySpent(let outpoint, let by): "input \(outpoint) is already spent by \(by) (double spend)"
        case .scriptFailed(let input, let error): "input \(input): script failed with \(error.rawValue)"
        case .notFinal(let lockTime, let height): "not final: nLockTime \(lockTime) at height \(height)"
        case .insufficientFee(let paid, let required): "fee \(paid) sat is below the required \(required) sat"
        case .dust(let output): "output \(output) is below the 1-satoshi dust limit"
        case .invalidRequest(let why): why
        case .storage(let why): "ledger file: \(why)"
        }
    }
}

extension WalletError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .notInitialised(let path): "no wallet at \(path)"
        case .alreadyExists(let path): "a wallet already exists at \(path)"
        case .networkMismatch(let wallet, let requested): "wallet is \(wallet.rawValue), got a \(requested.rawValue) key or address"
        case .insufficientFunds(let available, let needed): "need \(needed) satoshis, have \(available)"
        case .notOurs(let what): what
        case .invalidAmount(let amount): "\(amount) satoshis is not a valid amount"
        case .unknownTransaction(let txid): "no transaction \(txid) in this wallet"
        case .payments(let error): error.description
        case .ledger(let error): error.description
        case .broadcast(let error): error.description
        case .storage(let reason): reason
        }
    }
}

extension BroadcastError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .rejected(let reason): "rejected: \(reason)"
        case .unavailable(let reason): "outcome unknown: \(reason)"
        }
    }
}
