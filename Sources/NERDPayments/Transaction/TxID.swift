import NERDCrypto

/// A transaction ID: SHA-256d of the serialised transaction. `bytes` are in the order the
/// hash produces (as outpoints serialise them); `hex` is byte-reversed, as explorers, ARC and
/// every wallet display it.
public struct TxID: Sendable, Hashable, CustomStringConvertible, Comparable {
    /// 32 bytes, internal order.
    public let bytes: [UInt8]

    /// - Precondition: 32 bytes.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        self.bytes = bytes
    }

    /// Parses the displayed (reversed) hex form.
    ///
    /// - Throws: `PaymentsError.malformedTransaction` unless it is 64 hex digits.
    public init(hex: String) throws(PaymentsError) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { throw .malformedTransaction("a txid is 64 hex digits") }
        bytes = raw.reversed()
    }

    public var hex: String { Hex.encode(bytes.reversed()) }
    public var description: String { hex }

    public static func < (a: TxID, b: TxID) -> Bool { a.hex < b.hex }
}

/// An output being spent: its transaction and index.
public struct Outpoint: Sendable, Hashable, CustomStringConvertible {
    public var txid: TxID
    public var vout: UInt32

    public init(txid: TxID, vout: UInt32) {
        self.txid = txid
        self.vout = vout
    }

    /// Parses "TXID:VOUT".
    ///
    /// - Throws: `PaymentsError.malformedTransaction`.
    public init(_ text: String) throws(PaymentsError) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let vout = UInt32(parts[1]) else { throw .malformedTransaction("an outpoint is TXID:VOUT") }
        self.txid = try TxID(hex: String(parts[0]))
        self.vout = vout
    }

    public var description: String { "\(txid.hex):\(vout)" }

    var serialized: [UInt8] {
        var out = txid.bytes
        out.appendLE(vout)
        return out
    }
}
