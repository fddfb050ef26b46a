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
