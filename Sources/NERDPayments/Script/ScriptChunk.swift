/// One element of a script: an opcode, or a data push with the bytes it pushes.
public struct ScriptChunk: Sendable, Hashable {
    /// The opcode byte; for pushes, the push opcode (0x01–0x4e or OP_0).
    public let opcode: UInt8
    /// The pushed bytes for push opcodes 0x00–0x4e, nil for every other opcode.
    public let data: [UInt8]?

    public init(opcode: UInt8, data: [UInt8]? = nil) {
        self.opcode = opcode
        self.data = data
    }

    /// A push of `data` with the shortest encoding (the MINIMALDATA rule): OP_0 for empty,
    /// the direct 1–75 byte form, then PUSHDATA1/2/4. Single bytes 1–16 and 0x81 are pushed
    /// as data, not as OP_N, so the bytes on the stack are exactly `data`.
    public static func push(_ data: [UInt8]) -> ScriptChunk {
        switch data.count {
        case 0: ScriptChunk(opcode: Opcode.OP_0, data: [])
        case 1...75: ScriptChunk(opcode: UInt8(data.count), data: data)
        case 76...0xff: ScriptChunk(opcode: Opcode.OP_PUSHDATA1, data: data)
        case 0x100...0xffff: ScriptChunk(opcode: Opcode.OP_PUSHDATA2, data: data)
        default: ScriptChunk(opcode: Opcode.OP_PUSHDATA4, data: data)
        }
    }

    /// Whether the chunk pushes data (OP_0 and 0x01–0x4e; OP_1NEGATE and OP_1–16 push numbers
    /// and count as pushes for the push-only rule, see `isPushOnly`).
    public var isDataPush: Bool { opcode <= Opcode.OP_PUSHDATA4 }

    /// The serialised bytes: opcode, length field, data.
    public var encoded: [UInt8] {
        guard let data, opcode != Opcode.OP_0 else { return [opcode] }
        switch opcode {
        case Opcode.OP_PUSHDATA1: return [opcode, UInt8(data.count)] + data
        case Opcode.OP_PUSHDATA2: return [opcode, UInt8(data.count & 0xff), UInt8(data.count >> 8)] + data
        case Opcode.OP_PUSHDATA4:
            let n = UInt32(data.count)
            return [opcode, UInt8(n & 0xff), UInt8(n >> 8 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 24)] + data
        default: return [opcode] + data
        }
    }
}
