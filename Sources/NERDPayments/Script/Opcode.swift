/// Script opcodes with the BSV node's names (`OP_CHECKSIG`, ...).
///
/// Bytes 0x01–0x4b push that many bytes; 0x4c–0x4e push with a 1-, 2- or 4-byte length.
public enum Opcode {
    public static let OP_0: UInt8 = 0x00
    public static let OP_FALSE: UInt8 = 0x00
    public static let OP_PUSHDATA1: UInt8 = 0x4c
    public static let OP_PUSHDATA2: UInt8 = 0x4d
    public static let OP_PUSHDATA4: UInt8 = 0x4e
    public static let OP_1NEGATE: UInt8 = 0x4f
    public static let OP_1: UInt8 = 0x51
    public static let OP_TRUE: UInt8 = 0x51
    public static let OP_16: UInt8 = 0x60
    public static let OP_NOP: UInt8 = 0x61
    public static let OP_IF: UInt8 = 0x63
    public static let OP_NOTIF: UInt8 = 0x64
    public static let OP_ELSE: UInt8 = 0x67
    public static let OP_ENDIF: UInt8 = 0x68
    public static let OP_VERIFY: UInt8 = 0x69
    public static let OP_RETURN: UInt8 = 0x6a
    public static let OP_DROP: UInt8 = 0x75
    public static let OP_DUP: UInt8 = 0x76
    public static let OP_EQUAL: UInt8 = 0x87
    public static let OP_EQUALVERIFY: UInt8 = 0x88
    public static let OP_HASH160: UInt8 = 0xa9
    public static let OP_CODESEPARATOR: UInt8 = 0xab
    public static let OP_CHECKSIG: UInt8 = 0xac
    public static let OP_CHECKSIGVERIFY: UInt8 = 0xad
    public static let OP_CHECKMULTISIG: UInt8 = 0xae
    public static let OP_CHECKMULTISIGVERIFY: UInt8 = 0xaf
    public static let OP_CHECKLOCKTIMEVERIFY: UInt8 = 0xb1
    public static let OP_CHECKSEQUENCEVERIFY: UInt8 = 0xb2

    /// OP_1 … OP_16 for 1…16, OP_0 for 0.
    public static func smallInteger(_ n: Int) -> UInt8 {
        precondition((0...16).contains(n))
        return n == 0 ? OP_0 : OP_1 + UInt8(n - 1)
    }

    /// The value of OP_0 / OP_1NEGATE / OP_1 … OP_16, else nil.
    public static func smallIntegerValue(_ op: UInt8) -> Int? {
        switch op {
        case OP_0: 0
        case OP_1NEGATE: -1
        case OP_1...OP_16: Int(op - OP_1) + 1
        default: nil
        }
    }

    /// The node's name for an opcode ("OP_CHECKSIG"); pushes are not named here.
    public static func name(_ op: UInt8) -> String {
        if let n = names[op] { return n }
        if let v = smallIntegerValue(op) { return v < 0 ? "OP_1NEGATE" : "OP_\(v)" }
        return "OP_UNKNOWN\(op)"
    }

    /// Opcode for a node name, with or without the "OP_" prefix.
    public static func named(_ name: String) -> UInt8? {
        let full = name.hasPrefix("OP_") ? name : "OP_" + name
        if let op = byName[full] { return op }
        if let n = Int(full.dropFirst(3)), (0...16).contains(n) { return smallInteger(n) }
        return nil
    }

    private static let byName: [String: UInt8] = {
        var table: [String: UInt8] = ["OP_FALSE": 0, "OP_TRUE": 0x51, "OP_1NEGATE": 0x4f,
                                      "OP_NOP2": 0xb1, "OP_NOP3": 0xb2, "OP_NOP4": 0xb3, "OP_NOP5": 0xb4,
                                      "OP_NOP6": 0xb5, "OP_NOP7": 0xb6, "OP_NOP8": 0xb7]
        for (op, name) in names { table[name] = op }
        return table
    }()

    private static let names: [UInt8: String] = [
        0x00: "OP_0", 0x4c: "OP_PUSHDATA1", 0x4d: "OP_PUSHDATA2", 0x4e: "OP_PUSHDATA4",
        0x50: "OP_RESERVED", 0x61: "OP_NOP", 0x62: "OP_VER", 0x63: "OP_IF", 0x64: "OP_NOTIF",
        0x65: "OP_VERIF", 0x66: "OP_VERNOTIF", 0x67: "OP_ELSE", 0x68: "OP_ENDIF", 0x69: "OP_VERIFY",
        0x6a: "OP_RETURN", 0x6b: "OP_TOALTSTACK", 0x6c: "OP_FROMALTSTACK", 0x6d: "OP_2DROP",
        0x6e: "OP_2DUP", 0x6f: "OP_3DUP", 0x70: "OP_2OVER", 0x71: "OP_2ROT", 0x72: "OP_2SWAP",
        0x73: "OP_IFDUP", 0x74: "OP_DEPTH", 0x75: "OP_DROP", 0x76: "OP_DUP", 0x77: "OP_NIP",
        0x78: "OP_OVER", 0x79: "OP_PICK", 0x7a: "OP_ROLL", 0x7b: "OP_ROT", 0x7c: "OP_SWAP",
        0x7d: "OP_TUCK", 0x7e: "OP_CAT", 0x7f: "OP_SPLIT", 0x80: "OP_NUM2BIN", 0x81: "OP_BIN2NUM",
        0x82: "OP_SIZE", 0x83: "OP_INVERT", 0x84: "OP_AND", 0x85: "OP_OR", 0x86: "OP_XOR",
        0x87: "OP_EQUAL", 0x88: "OP_EQUALVERIFY", 0x89: "OP_RESERVED1", 0x8a: "OP_RESERVED2",
        0x8b: "OP_1ADD", 0x8c: "OP_1SUB", 0x8d: "OP_2MUL", 0x8e: "OP_2DIV", 0x8f: "OP_NEGATE",
        0x90: "OP_ABS", 0x91: "OP_NOT", 0x92: "OP_0NOTEQUAL", 0x93: "OP_ADD", 0x94: "OP_SUB",
        0x95: "OP_MUL", 0x96: "OP_DIV", 0x97: "OP_MOD", 0x98: "OP_LSHIFT", 0x99: "OP_RSHIFT",
        0x9a: "OP_BOOLAND", 0x9b: "OP_BOOLOR", 0x9c: "OP_NUMEQUAL", 0x9d: "OP_NUMEQUALVERIFY",
        0x9e: "OP_NUMNOTEQUAL", 0x9f: "OP_LESSTHAN", 0xa0: "OP_GREATERTHAN",
        0xa1: "OP_LESSTHANOREQUAL", 0xa2: "OP_GREATERTHANOREQUAL", 0xa3: "OP_MIN", 0xa4: "OP_MAX",
        0xa5: "OP_WITHIN", 0xa6: "OP_RIPEMD160", 0xa7: "OP_SHA1", 0xa8: "OP_SHA256",
        0xa9: "OP_HASH160", 0xaa: "OP_HASH256", 0xab: "OP_CODESEPARATOR", 0xac: "OP_CHECKSIG",
        0xad: "OP_CHECKSIGVERIFY", 0xae: "OP_CHECKMULTISIG", 0xaf: "OP_CHECKMULTISIGVERIFY",
        0xb0: "OP_NOP1", 0xb1: "OP_CHECKLOCKTIMEVERIFY", 0xb2: "OP_CHECKSEQUENCEVERIFY",
        // Chronicle's names for the former NOP4–NOP8; they stay NOPs for older outputs.
        0xb3: "OP_SUBSTR", 0xb4: "OP_LEFT", 0xb5: "OP_RIGHT", 0xb6: "OP_LSHIFTNUM", 0xb7: "OP_RSHIFTNUM",
        0xb8: "OP_NOP9", 0xb9: "OP_NOP10",
    ]
}
