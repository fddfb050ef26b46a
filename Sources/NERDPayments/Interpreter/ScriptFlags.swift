import Foundation

/// Verification rules to apply, as the BSV node's `SCRIPT_VERIFY_*` / `SCRIPT_*` flags.
public struct ScriptFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let p2sh = ScriptFlags(rawValue: 1 << 0)
    public static let strictEncoding = ScriptFlags(rawValue: 1 << 1)
    public static let derSignatures = ScriptFlags(rawValue: 1 << 2)
    public static let lowS = ScriptFlags(rawValue: 1 << 3)
    public static let nullDummy = ScriptFlags(rawValue: 1 << 4)
    public static let sigPushOnly = ScriptFlags(rawValue: 1 << 5)
    public static let minimalData = ScriptFlags(rawValue: 1 << 6)
    public static let discourageUpgradableNops = ScriptFlags(rawValue: 1 << 7)
    public static let cleanStack = ScriptFlags(rawValue: 1 << 8)
    public static let checkLockTimeVerify = ScriptFlags(rawValue: 1 << 9)
    public static let checkSequenceVerify = ScriptFlags(rawValue: 1 << 10)
    public static let minimalIf = ScriptFlags(rawValue: 1 << 13)
    public static let nullFail = ScriptFlags(rawValue: 1 << 14)
    public static let compressedPublicKeys = ScriptFlags(rawValue: 1 << 15)
    /// SIGHASH_FORKID signatures are required (and imply strict encoding).
    public static let sighashForkID = ScriptFlags(rawValue: 1 << 16)
    /// The transaction is validated under Genesis rules.
    public static let genesis = ScriptFlags(rawValue: 1 << 18)
    /// The output being spent was created after Genesis (2020): unlimited numbers and
    /// elements, top-level OP_RETURN ends the script successfully, no P2SH, CLTV/CSV are NOPs.
    public static let utxoAfterGenesis = ScriptFlags(rawValue: 1 << 19)
    /// The output being spent was created after Chronicle (2025).
    public static let utxoAfterChronicle = ScriptFlags(rawValue: 1 << 20)

    /// What NERD's local ledger applies to every input: FORKID signatures, strict DER, low-S,
    /// push-only unlocking scripts, minimal pushes, NULLDUMMY, NULLFAIL, clean stack, and the
    /// post-Genesis rules the network applies to new outputs.
    public static let standard: ScriptFlags = [
        .strictEncoding, .derSignatures, .lowS, .nullDummy, .sigPushOnly, .minimalData, .minimalIf,
        .nullFail, .cleanStack, .sighashForkID, .genesis, .utxoAfterGenesis, .p2sh,
    ]

    /// Parses the node's comma-separated flag names (`"P2SH,STRICTENC"`), as its test files
    /// write them. - Returns: nil for an unknown name.
    public init?(names: String) {
        var flags: ScriptFlags = []
        for name in names.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let flag = Self.byName[name] else { return nil }
            flags.insert(flag)
        }
        self = flags
    }

    static let byName: [String: ScriptFlags] = [
        "NONE": [], "P2SH": .p2sh, "STRICTENC": .strictEncoding, "DERSIG": .derSignatures, "LOW_S": .lowS,
        "NULLDUMMY": .nullDummy, "SIGPUSHONLY": .sigPushOnly, "MINIMALDATA": .minimalData,
        "DISCOURAGE_UPGRADABLE_NOPS": .discourageUpgradableNops, "CLEANSTACK": .cleanStack,
        "CHECKLOCKTIMEVERIFY": .checkLockTimeVerify, "CHECKSEQUENCEVERIFY": .checkSequenceVerify,
        "MINIMALIF": .minimalIf, "NULLFAIL": .nullFail, "COMPRESSED_PUBKEYTYPE": .compressedPublicKeys,
        "SIGHASH_FORKID": .sighashForkID, "GENESIS": .genesis, "UTXO_AFTER_GENESIS": .utxoAfterGenesis,
        "UTXO_AFTER_CHRONICLE": .utxoAfterChronicle,
    ]
}
