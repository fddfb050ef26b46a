/// The BitTorrent handshake (BEP 3): `\x13BitTorrent protocol`, 8 reserved bytes, the
/// 20-byte info-hash and the 20-byte peer ID; 68 bytes in all.
public struct Handshake: Sendable, Hashable {
    /// The 19-byte protocol string.
    public static let protocolName: [UInt8] = Array("BitTorrent protocol".utf8)
    /// Bytes on the wire.
    public static let length = 68

    /// Reserved-bit capabilities.
    public struct Reserved: OptionSet, Sendable, Hashable {
        public let rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }

        /// BEP 10 extension protocol: reserved byte 5, bit 0x10.
        public static let extensionProtocol = Reserved(rawValue: 0x10 << 16)
        /// BEP 6 fast extension: reserved byte 7, bit 0x04.
        public static let fast = Reserved(rawValue: 0x04)
        /// BEP 5 DHT: reserved byte 7, bit 0x01.
        public static let dht = Reserved(rawValue: 0x01)

        /// What NERD advertises.
        public static let nerdDefault: Reserved = [.extensionProtocol, .fast]
    }

    public var reserved: Reserved
    /// 20 bytes: the v1 info-hash, or a v2 info-hash truncated to 20 bytes (BEP 52).
    public var infoHash: [UInt8]
    /// 20 bytes.
    public var peerID: [UInt8]

    public init(reserved: Reserved = .nerdDefault, infoHash: [UInt8], peerID: [UInt8]) {
        precondition(infoHash.count == 20 && peerID.count == 20, "handshake fields are 20 bytes")
        self.reserved = reserved
        self.infoHash = infoHash
        self.peerID = peerID
    }

    /// The 68 wire bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = [19] + Self.protocolName
        withUnsafeBytes(of: reserved.rawValue.bigEndian) { out.append(contentsOf: $0) }
        return out + infoHash + peerID
    }

    /// Parses 68 bytes.
    /// - Throws: ``WireError`` `.invalidHandshake` for a wrong length or protocol string.
    public init(bytes: some Collection<UInt8>) throws(WireError) {
        let b = Array(bytes)
        guard b.count == Self.length else {
            throw WireError(.invalidHandshake, "handshake is \(b.count) bytes, not 68")
        }
        guard b[0] == 19, Array(b[1..<20]) == Self.protocolName else {
            throw WireError(.invalidHandshake, "not a BitTorrent handshake", offset: 0)
        }
        reserved = Reserved(rawValue: b[20..<28].reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        infoHash = Array(b[28..<48])
        peerID = Array(b[48..<68])
    }

    /// A random Azureus-style peer ID: `-NE0001-` and 12 random bytes.
    public static func makePeerID(random: [UInt8]) -> [UInt8] {
        Array("-NE0001-".utf8) + random.prefix(12)
    }
}
