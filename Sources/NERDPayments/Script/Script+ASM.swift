import NERDCrypto

extension Script {
    /// Parses the BSV node's script notation (its test files and `bitcoin-cli` use it):
    /// decimal numbers (pushed as script numbers, -1 and 0–16 as OP_N), `0x…` raw bytes
    /// inserted as they are, `'text'` pushed as data, and opcode names with or without
    /// `OP_`.
    ///
    /// - Throws: `PaymentsError.malformedScript` naming the first token it cannot read.
    public init(nodeASM text: String) throws(PaymentsError) {
        var bytes: [UInt8] = []
        for token in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            let word = String(token)
            if let n = Int64(word), word.allSatisfy({ $0.isNumber || $0 == "-" }) {
                if n == -1 || (1...16).contains(n) {
                    bytes.append(Opcode.OP_1 &+ UInt8(truncatingIfNeeded: n - 1))
                } else if n == 0 {
                    bytes.append(Opcode.OP_0)
                } else {
                    bytes += ScriptChunk.push(ScriptNumber.encode(Int(n))).encoded
                }
            } else if word.hasPrefix("0x"), word.count > 2, let raw = Hex.decode(word.dropFirst(2)) {
                bytes += raw
            } else if word.count >= 2, word.hasPrefix("'"), word.hasSuffix("'") {
                bytes += ScriptChunk.push(Array(word.dropFirst().dropLast().utf8)).encoded
            } else if let op = Opcode.named(word) {
                bytes.append(op)
            } else {
                throw .malformedScript("unknown token \(word)")
            }
        }
        self.bytes = bytes
    }
}
