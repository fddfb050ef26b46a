/// The sighash type: which parts of a transaction a signature commits to. Scripts carry its
/// low byte after the DER signature; the digest commits to all 32 bits.
public struct SighashType: Sendable, Hashable, RawRepresentable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let all = SighashType(rawValue: 0x01)
    public static let none = SighashType(rawValue: 0x02)
    public static let single = SighashType(rawValue: 0x03)
    /// Chronicle (2025): selects the original digest again, for version > 1 transactions.
    public static let chronicleBit: UInt32 = 0x20
    /// BSV's replay protection since the 2017 fork: selects the BIP 143-style digest.
    public static let forkIDBit: UInt32 = 0x40
    public static let anyoneCanPayBit: UInt32 = 0x80

    /// ALL | FORKID (0x41): what NERD signs unless told otherwise.
    public static let allForkID = SighashType(rawValue: 0x41)

    /// A type with FORKID set, from a base (ALL, NONE, SINGLE) and ANYONECANPAY.
    public static func forkID(_ base: SighashType, anyoneCanPay: Bool = false) -> SighashType {
        SighashType(rawValue: base.rawValue & 0x1f | forkIDBit | (anyoneCanPay ? anyoneCanPayBit : 0))
    }

    /// ALL (1), NONE (2) or SINGLE (3); other values behave as ALL.
    public var base: UInt32 { rawValue & 0x1f }
    public var hasForkID: Bool { rawValue & Self.forkIDBit != 0 }
    public var hasChronicle: Bool { rawValue & Self.chronicleBit != 0 }
    public var anyoneCanPay: Bool { rawValue & Self.anyoneCanPayBit != 0 }
    public var isNone: Bool { base == Self.none.rawValue }
    public var isSingle: Bool { base == Self.single.rawValue }

    /// Whether the node computes the FORKID digest for this type: FORKID set, CHRONICLE clear.
    public var usesForkIDDigest: Bool { hasForkID && !hasChronicle }

    /// The byte appended to a DER signature in a script.
    public var byte: UInt8 { UInt8(rawValue & 0xff) }

    public var description: String { "0x" + String(rawValue, radix: 16) }
}
