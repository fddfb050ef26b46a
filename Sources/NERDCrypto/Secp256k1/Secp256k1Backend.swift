/// The library that does secp256k1 curve arithmetic behind `PrivateKey` and `PublicKey`.
///
/// Both backends give identical bytes (RFC 6979 nonces, low-S), so they are
/// interchangeable; libsecp256k1 is about ten times faster and needs the package trait
/// `Secp256k1` (Debian `libsecp256k1-dev`).
public enum Secp256k1Backend: String, Sendable, CaseIterable, CustomStringConvertible {
    /// OpenSSL libcrypto: always built in.
    case openSSL = "openssl"
    /// Bitcoin Core's libsecp256k1: built when the package trait `Secp256k1` is enabled.
    case libsecp256k1 = "libsecp256k1"

    /// The fastest backend this build contains.
    public static var `default`: Secp256k1Backend { LibSecp256k1Engine.isAvailable ? .libsecp256k1 : .openSSL }

    /// The backends compiled into this build.
    public static var available: [Secp256k1Backend] { allCases.filter(\.isAvailable) }

    /// Whether this build contains the backend.
    public var isAvailable: Bool {
        switch self {
        case .openSSL: true
        case .libsecp256k1: LibSecp256k1Engine.isAvailable
        }
    }

    public var description: String { rawValue }

    var engine: any Secp256k1Engine {
        switch self {
        case .openSSL: OpenSSLEngine.shared
        case .libsecp256k1: LibSecp256k1Engine.shared ?? OpenSSLEngine.shared
        }
    }
}

/// What a backend implements; callers validate lengths before calling.
protocol Secp256k1Engine: Sendable {
    /// 33-byte compressed or 65-byte uncompressed public key of a valid secret.
    func publicKey(secret: [UInt8], compressed: Bool) throws(Secp256k1Error) -> [UInt8]
    /// Re-serialises a public key (any accepted form) compressed or uncompressed.
    func serialize(publicKey: [UInt8], compressed: Bool) throws(Secp256k1Error) -> [UInt8]
    /// RFC 6979 nonce, low-S.
    func sign(digest: [UInt8], secret: [UInt8]) throws(Secp256k1Error) -> ECDSASignature
    /// Accepts high-S as well as low-S; r and s outside 1..<n never verify.
    func verify(signature: ECDSASignature, digest: [UInt8], publicKey: [UInt8]) -> Bool
    /// (secret + tweak) mod n (BIP 32 private derivation).
    func tweakAdd(secret: [UInt8], tweak: [UInt8]) throws(Secp256k1Error) -> [UInt8]
    /// publicKey + tweak·G, compressed (BIP 32 public derivation).
    func tweakAdd(publicKey: [UInt8], tweak: [UInt8]) throws(Secp256k1Error) -> [UInt8]
}
