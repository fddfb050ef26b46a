import NERDCrypto

/// A torrent's identity: the SHA-1 of the bencoded info dictionary (v1, BEP 3, 20 bytes) or
/// its SHA-256 (v2, BEP 52, 32 bytes), always over the info bytes exactly as received.
public struct InfoHash: Sendable, Hashable, CustomStringConvertible {
    /// 20 bytes for v1, 32 bytes for v2.
    public let bytes: [UInt8]

    /// - Returns: `nil` unless `bytes` is 20 (v1) or 32 (v2) bytes long.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 || bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Parses 40 (v1) or 64 (v2) hex digits.
    public init?(hex: some StringProtocol) {
        guard let bytes = Hex.decode(hex) else { return nil }
        self.init(bytes: bytes)
    }

    /// SHA-1 of raw info-dictionary bytes (BEP 3).
    public static func v1(infoBytes: some Sequence<UInt8>) -> InfoHash { InfoHash(unchecked: SHA1.hash(infoBytes)) }

    /// SHA-256 of raw info-dictionary bytes (BEP 52).
    public static func v2(infoBytes: some Sequence<UInt8>) -> InfoHash { InfoHash(unchecked: SHA256.hash(infoBytes)) }

    private init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    public var isV2: Bool { bytes.count == 32 }

    /// Lowercase hex.
    public var hex: String { Hex.encode(bytes) }

    /// The 20 bytes that identify the torrent on the v1 wire, in the handshake, trackers and
    /// the DHT: the whole v1 hash, or a v2 hash truncated to 20 bytes (BEP 52).
    public var wireBytes: [UInt8] { Array(bytes.prefix(20)) }

    public var description: String { hex }
}

/// The info-hashes a torrent has: v1 only, v2 only, or both (hybrid, BEP 52).
public struct InfoHashes: Sendable, Hashable {
    public var v1: InfoHash?
    public var v2: InfoHash?

    public init(v1: InfoHash?, v2: InfoHash?) {
        self.v1 = v1
        self.v2 = v2
    }

    /// The hash used to identify the torrent on the v1 wire: v1 when present, else truncated v2.
    public var wireBytes: [UInt8] { (v1 ?? v2)?.wireBytes ?? [] }
}
