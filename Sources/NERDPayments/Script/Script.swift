import NERDCrypto

/// A Bitcoin script: the raw bytes of a locking script (in an output) or an unlocking script
/// (in an input).
public struct Script: Sendable, Hashable {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8] = []) { self.bytes = bytes }

    /// - Throws: `PaymentsError.malformedScript` for odd length or non-hex characters.
    public init(hex: String) throws(PaymentsError) {
        guard let bytes = Hex.decode(hex) else { throw .malformedScript("not hex") }
        self.bytes = bytes
    }

    public init(chunks: [ScriptChunk]) { bytes = chunks.flatMap(\.encoded) }

    public var hex: String { Hex.encode(bytes) }

    /// Splits the script into opcodes and pushes.
    ///
    /// - Throws: `PaymentsError.malformedScript` when a push runs past the end.
    public func chunks() throws(PaymentsError) -> [ScriptChunk] {
        var reader = ScriptReader(bytes)
        var out: [ScriptChunk] = []
        while let chunk = try reader.next() { out.append(chunk) }
        return out
    }

    /// Every opcode is OP_16 or below (pushes, OP_1NEGATE, OP_1…OP_16 and, as the node counts
    /// it, OP_RESERVED): the rule for unlocking scripts.
    public var isPushOnly: Bool {
        guard let chunks = try? chunks() else { return false }
        return chunks.allSatisfy { $0.opcode <= Opcode.OP_16 }
    }

    /// The node's ASM notation: pushes as hex, opcodes by name, small numbers as digits.
    public var asm: String {
        guard let chunks = try? chunks() else { return "[error]" }
        return chunks.map { chunk in
            if let data = chunk.data, chunk.opcode != Opcode.OP_0 { return Hex.encode(data) }
            if let n = Opcode.smallIntegerValue(chunk.opcode) { return String(n) }
            return Opcode.name(chunk.opcode)
        }.joined(separator: " ")
    }

    /// Appends one push of `data` in its minimal form.
    public mutating func append(push data: [UInt8]) { bytes += ScriptChunk.push(data).encoded }

    /// Appends an opcode.
    public mutating func append(_ opcode: UInt8) { bytes.append(opcode) }
}

/// Reads script chunks one at a time without copying the script.
struct ScriptReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8], position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func next() throws(PaymentsError) -> ScriptChunk? {
        guard position < bytes.count else { return nil }
        let op = bytes[position]
        position += 1
        let length: Int
        switch op {
        case 0x01...0x4b: length = Int(op)
        case Opcode.OP_PUSHDATA1: length = try readLength(1)
        case Opcode.OP_PUSHDATA2: length = try readLength(2)
        case Opcode.OP_PUSHDATA4: length = try readLength(4)
        case Opcode.OP_0: return ScriptChunk(unchecked: op, data: [])
        default: return ScriptChunk(unchecked: op, data: nil)
        }
        guard length <= bytes.count - position else { throw .malformedScript("push of \(length) bytes runs past the end") }
        defer { position += length }
        return ScriptChunk(unchecked: op, data: Array(bytes[position..<(position + length)]))
    }

    private mutating func readLength(_ width: Int) throws(PaymentsError) -> Int {
        guard width <= bytes.count - position else { throw .malformedScript("push length field truncated") }
        var n = 0
        for i in 0..<width { n |= Int(bytes[position + i]) << (8 * i) }
        position += width
        return n
    }
}
