import BigInt

/// The opcodes Chronicle (2025) gives outputs created after it: OP_VER, OP_2MUL, OP_2DIV,
/// OP_SUBSTR, OP_LEFT, OP_RIGHT, OP_LSHIFTNUM, OP_RSHIFTNUM (OP_VERIF/OP_VERNOTIF are in the
/// flow-control group).
extension ScriptInterpreter {
    func executeChronicle(_ op: UInt8, stack: inout ScriptStack, limits: ScriptLimits) throws(ScriptError) -> Bool {
        switch op {
        case 0x62:  // OP_VER: the transaction version, 4 bytes little-endian
            stack.push(Self.versionBytes(checker.transactionVersion))
        case 0x8d:  // OP_2MUL
            stack.replaceTop(ScriptNumber.encode(try number(stack.peek()) * 2))
        case 0x8e:  // OP_2DIV (truncates toward zero)
            stack.replaceTop(ScriptNumber.encode(try number(stack.peek()) / 2))
        case 0xb3:  // OP_SUBSTR (x begin length -- x[begin..<begin+length])
            try stack.require(3)
            let data = try stack.peek(2)
            let begin = try number(stack.peek(1))
            let length = try number(stack.peek(0))
            guard begin >= 0, length >= 0, begin + length <= data.count,
                  let b = Int(exactly: begin), let n = Int(exactly: length) else { throw .invalidNumberRange }
            try stack.pop()
            try stack.pop()
            stack.replaceTop(Array(data[b..<(b + n)]))
        case 0xb4, 0xb5:  // OP_LEFT, OP_RIGHT (x n -- first / last n bytes)
            try stack.require(2)
            let data = try stack.peek(1)
            let n = try number(stack.peek(0))
            guard n >= 0, n <= data.count, let count = Int(exactly: n) else { throw .invalidNumberRange }
            try stack.pop()
            stack.replaceTop(op == 0xb4 ? Array(data.prefix(count)) : Array(data.suffix(count)))
        case 0xb6, 0xb7:  // OP_LSHIFTNUM, OP_RSHIFTNUM (a n -- a·2ⁿ, a/2ⁿ), sign kept
            try stack.require(2)
            let a = try number(stack.peek(1))
            let n = try number(stack.peek(0))
            guard n >= 0, let bits = Int(exactly: n) else { throw .invalidNumberRange }
            if op == 0xb6 {
                guard bits <= limits.maxStackBits - a.magnitude.bitWidth else { throw .stackSize }
            }
            try stack.pop()
            let magnitude = op == 0xb6 ? a.magnitude << bits : a.magnitude >> bits
            stack.replaceTop(ScriptNumber.encode(a.sign == .minus ? -BigInt(magnitude) : BigInt(magnitude)))
        default:
            return false
        }
        return true
    }
}
