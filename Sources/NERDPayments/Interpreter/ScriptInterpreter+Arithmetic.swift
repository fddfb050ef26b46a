import BigInt

/// Numeric opcodes. Operands are script numbers of at most `maxNumberLength` bytes; results
/// may be longer (before Genesis an overflowed result can be compared as bytes but not
/// used as a number again).
extension ScriptInterpreter {
    func executeArithmetic(_ op: UInt8, stack: inout ScriptStack, limits: ScriptLimits) throws(ScriptError) -> Bool {
        switch op {
        case 0x8b, 0x8c, 0x8f, 0x90, 0x91, 0x92:  // 1ADD 1SUB NEGATE ABS NOT 0NOTEQUAL
            var n = try number(stack.peek())
            switch op {
            case 0x8b: n += 1
            case 0x8c: n -= 1
            case 0x8f: n = -n
            case 0x90: n = n < 0 ? -n : n
            case 0x91: n = n == 0 ? 1 : 0
            default: n = n != 0 ? 1 : 0
            }
            stack.replaceTop(ScriptNumber.encode(n))
        case 0x93...0xa4:  // ADD SUB MUL DIV MOD LSHIFT(no) ... MAX
            guard op != 0x98, op != 0x99 else { return false }
            try stack.require(2)
            let a = try number(stack.peek(1))
            let b = try number(stack.peek(0))
            let result: BigInt
            switch op {
            case 0x93: result = a + b
            case 0x94: result = a - b
            case 0x95:
                // Bound the product's size before computing it.
                guard a.magnitude.bitWidth + b.magnitude.bitWidth <= limits.maxStackBits else { throw .stackSize }
                result = a * b
            case 0x96:
                guard b != 0 else { throw .divByZero }
                result = a / b
            case 0x97:
                guard b != 0 else { throw .modByZero }
                result = a % b
            case 0x9a: result = a != 0 && b != 0 ? 1 : 0
            case 0x9b: result = a != 0 || b != 0 ? 1 : 0
            case 0x9c, 0x9d: result = a == b ? 1 : 0
            case 0x9e: result = a != b ? 1 : 0
            case 0x9f: result = a < b ? 1 : 0
            case 0xa0: result = a > b ? 1 : 0
            case 0xa1: result = a <= b ? 1 : 0
            case 0xa2: result = a >= b ? 1 : 0
            case 0xa3: result = a < b ? a : b
            default: result = a > b ? a : b
            }
            try stack.pop()
            try stack.pop()
            if op == 0x9d {
                guard result != 0 else { throw .numEqualVerify }
            } else {
                stack.push(ScriptNumber.encode(result))
            }
        case 0xa5:  // OP_WITHIN
            try stack.require(3)
            let x = try number(stack.peek(2))
            let low = try number(stack.peek(1))
            let high = try number(stack.peek(0))
            try stack.pop()
            try stack.pop()
            try stack.pop()
            stack.push(low <= x && x < high ? [1] : [])
        default:
            return false
        }
        return true
    }
}
