/// Byte-string opcodes: bitwise logic, shifts, equality, OP_CAT, OP_SPLIT, OP_NUM2BIN,
/// OP_BIN2NUM (re-enabled on BSV in 2018).
extension ScriptInterpreter {
    func executeBytesOperation(_ op: UInt8, stack: inout ScriptStack, limits: ScriptLimits) throws(ScriptError) -> Bool {
        switch op {
        case 0x84, 0x85, 0x86:  // OP_AND, OP_OR, OP_XOR
            try stack.require(2)
            let b = try stack.peek(0)
            var a = try stack.peek(1)
            guard a.count == b.count else { throw .invalidOperandSize }
            for i in a.indices {
                switch op {
                case 0x84: a[i] &= b[i]
                case 0x85: a[i] |= b[i]
                default: a[i] ^= b[i]
                }
            }
            try stack.pop()
            stack.replaceTop(a)
        case 0x83:  // OP_INVERT
            stack.replaceTop(try stack.peek().map { ~$0 })
        case 0x98, 0x99:  // OP_LSHIFT, OP_RSHIFT
            try stack.require(2)
            let n = try number(stack.peek(0))
            guard n >= 0 else { throw .invalidNumberRange }
            let value = try stack.peek(1)
            try stack.pop()
            try stack.pop()
            // Shifting by the element's width or more leaves only zeros.
            let bits = Int(exactly: n).map { min($0, value.count * 8) } ?? value.count * 8
            stack.push(op == 0x98 ? Self.shiftLeft(value, bits) : Self.shiftRight(value, bits))
        case Opcode.OP_EQUAL, Opcode.OP_EQUALVERIFY:
            try stack.require(2)
            let equal = try stack.pop() == stack.pop()
            if op == Opcode.OP_EQUALVERIFY {
                guard equal else { throw .equalVerify }
            } else {
                stack.push(equal ? [1] : [])
            }
        case 0x7e:  // OP_CAT
            try stack.require(2)
            let b = try stack.peek(0), a = try stack.peek(1)
            if !afterGenesis && a.count + b.count > limits.maxElementSize { throw .pushSize }
            try stack.pop()
            stack.replaceTop(a + b)
        case 0x7f:  // OP_SPLIT
            try stack.require(2)
            let data = try stack.peek(1)
            let n = try number(stack.peek(0))
            guard n >= 0, n <= data.count, let position = Int(exactly: n) else { throw .invalidSplitRange }
            try stack.pop()
            try stack.pop()
            stack.push(Array(data[..<position]))
            stack.push(Array(data[position...]))
        case 0x80:  // OP_NUM2BIN
            try stack.require(2)
            let n = try number(stack.peek(0))
            guard n >= 0, n <= Int32.max, let size = Int(exactly: n) else { throw .pushSize }
            if !afterGenesis && size > limits.maxElementSize { throw .pushSize }
            // Bounded here too: a size near 2^31 would otherwise allocate before any limit check.
            guard size <= limits.maxStackMemory else { throw .pushSize }
            try stack.pop()
            var raw = ScriptNumber.minimallyEncoded(try stack.peek())
            guard raw.count <= size else { throw .impossibleEncoding }
            if raw.count < size {
                var sign: UInt8 = 0
                if let last = raw.last {
                    sign = last & 0x80
                    raw[raw.count - 1] &= 0x7f
                }
                raw += [UInt8](repeating: 0, count: size - raw.count)
                raw[raw.count - 1] |= sign
            }
            stack.replaceTop(raw)
        case 0x81:  // OP_BIN2NUM
            let n = ScriptNumber.minimallyEncoded(try stack.peek())
            guard n.count <= limits.maxNumberLength else { throw .invalidNumberRange }
            stack.replaceTop(n)
        default:
            return false
        }
        return true
    }

    /// Shifts a byte string left by `n` bits as one big-endian bit string, keeping its length.
    static func shiftLeft(_ x: [UInt8], _ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: x.count)
        let byteShift = n / 8, bitShift = n % 8
        for i in x.indices where i >= byteShift {
            let k = i - byteShift
            out[k] |= x[i] << bitShift
            if k >= 1 && bitShift > 0 { out[k - 1] |= x[i] >> (8 - bitShift) }
        }
        return out
    }

    /// Shifts a byte string right by `n` bits as one big-endian bit string, keeping its length.
    static func shiftRight(_ x: [UInt8], _ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: x.count)
        let byteShift = n / 8, bitShift = n % 8
        for i in x.indices {
            let k = i + byteShift
            if k < x.count { out[k] |= x[i] >> bitShift }
            if k + 1 < x.count && bitShift > 0 { out[k + 1] |= x[i] << (8 - bitShift) }
        }
        return out
    }
}
