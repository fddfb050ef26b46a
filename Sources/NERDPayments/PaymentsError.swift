import NERDCrypto

/// Why NERDPayments refused an encoding, a script or a transaction.
public enum PaymentsError: Error, Equatable, Sendable {
    /// A character outside the Base58 alphabet, or a string longer than the limit.
    case invalidBase58(String)
    /// A Base58Check string whose 4-byte checksum does not match.
    case badChecksum
    /// A WIF key or address with the wrong version byte or payload length for what was asked.
    case invalidKeyEncoding(String)
    /// A script whose push runs past its end, or that is longer than allowed.
    case malformedScript(String)
    /// A transaction that is truncated, has trailing bytes, or exceeds a count or size limit.
    case malformedTransaction(String)
    /// An input index outside the transaction, or a signing request that cannot be met.
    case invalidSigningRequest(String)
    /// A key problem from NERDCrypto.
    case key(Secp256k1Error)
}
