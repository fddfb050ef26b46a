/// SHA-1 (FIPS 180-4). BitTorrent v1 piece hashes and info-hashes (BEP 3).
public enum SHA1 {
    /// Output size in bytes.
    public static let byteCount = 20

    /// - Returns: the 20-byte digest of `bytes`.
    @inlinable public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] { digest(.sha1, bytes) }

    /// - Returns: the 20-byte digest of the memory in `buffer`.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] { digest(.sha1, buffer) }
}

/// SHA-256 (FIPS 180-4). BitTorrent v2 merkle trees and info-hashes (BEP 52); BSV txids.
public enum SHA256 {
    /// Output size in bytes.
    public static let byteCount = 32

    /// - Returns: the 32-byte digest of `bytes`.
    @inlinable public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] { digest(.sha256, bytes) }

    /// - Returns: the 32-byte digest of the memory in `buffer`.
    public static func hash(_ buffer: UnsafeRawBufferPointer) -> [UInt8] { digest(.sha256, buffer) }

    /// SHA-256 applied twice, as Bitcoin uses for txids and Base58Check.
    /// - Returns: 32 bytes.
    @inlinable public static func doubleHash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        hash(hash(bytes))
    }
}

/// SHA-512 (FIPS 180-4).
public enum SHA512 {
    /// Output size in bytes.
    public static let byteCount = 64

    /// - Returns: the 64-byte digest of `bytes`.
    @inlinable public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] { digest(.sha512, bytes) }
}

/// RIPEMD-160 (Dobbertin, Bosselaers, Preneel, 1996).
public enum RIPEMD160 {
    /// Output size in bytes.
    public static let byteCount = 20

    /// - Returns: the 20-byte digest of `bytes`.
    @inlinable public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] { digest(.ripemd160, bytes) }
}

/// HASH160 = RIPEMD-160(SHA-256(x)), the public-key hash of Bitcoin P2PKH addresses.
public enum Hash160 {
    /// - Returns: the 20-byte RIPEMD-160 of the SHA-256 of `bytes`.
    @inlinable public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        RIPEMD160.hash(SHA256.hash(bytes))
    }
}
