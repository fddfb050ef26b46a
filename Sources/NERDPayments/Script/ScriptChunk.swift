/// One element of a script: an opcode, or a data push with the bytes it pushes.
public struct ScriptChunk: Sendable, Hashable {
    /// The opcode byte; for pushes, the push opcode (0x01–0x4e or OP_0).
    public let opcode: UInt8
    /// The pushed bytes for push opcodes 0x00–0x4e, nil for every other opcode.
    public let data: [UInt8]?

    /// A chunk whose opcode and data agree: data only for push opcodes, of the length a
    /// direct push names, or within what PUSHDATA1/2/4 can express. - Returns: nil otherwise.
    public init?(opcode: UInt8, data: [UInt8]? = nil) {
        switch (opcode, data) {
        case (Opcode.OP_0, let data): guard data == nil || data == [] else { return nil }
        case (0x01...0x4b, let data?): guard data.count == Int(opcode) else { return nil }
        case (Opcode.OP_PUSHDATA1, let data?): guard data.count <= 0xff else { return nil }
        case (Opcode.OP_PUSHDATA2, let data?): guard data.count <= 0xffff else { return nil }
        case (Opcode.OP_PUSHDATA4, let data?): guard UInt64(data.count) <= UInt64(UInt32.max) else { return nil }
        case (0x01...0x4e, nil): return nil
        case (_, nil): break
        default: return nil
        }
        self.init(unchecked: opcode, data: opcode == Opcode.OP_0 ? [] : data)
    }

    init(unchecked opcode: UInt8, data: [UInt8]?) {
        self.opcode = opcode
        self.data = data
    }

    /// A push of `data` with the shortest encoding (the MINIMALDATA rule): OP_0 for empty,
    /// the direct 1–75 byte form, then PUSHDATA1/2/4. Single bytes 1–16 and 0x81 are pushed
    /// as data, not as OP_N, so the bytes on the stack are exactly `data`.
    public static func push(_ data: [UInt8]) -> ScriptChunk {
        switch data.count {
        case 0: ScriptChunk(unchecked: Opcode.OP_0, data: [])
        case 1...75: ScriptChunk(unchecked: UInt8(data.count), data: data)
        case 76...0xff: ScriptChunk(unchecked: Opcode.OP_PUSHDATA1, data: data)
        case 0x100...0xffff: ScriptChunk(unchecked: Opcode.OP_PUSHDATA2, data: data)
        default: ScriptChunk(unchecked: Opcode.OP_PUSHDATA4, data: data)
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
