/// The `crypto_provide` / `crypto_select` bit field of Message Stream Encryption: which
/// stream the connection continues with after the encrypted handshake. Sent as a 32-bit
/// big-endian integer; bits other than these two are reserved and ignored.
public struct MSECryptoMethods: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// 0x01: after the handshake the payload flows unencrypted.
    public static let plaintext = MSECryptoMethods(rawValue: 0x01)
    /// 0x02: after the handshake the payload stays RC4-encrypted.
    public static let rc4 = MSECryptoMethods(rawValue: 0x02)

    /// The bits NERD knows.
    public static let known: MSECryptoMethods = [.plaintext, .rc4]

    public var description: String {
        switch self {
        case .plaintext: "plaintext"
        case .rc4: "rc4"
        case [.plaintext, .rc4]: "plaintext+rc4"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}
