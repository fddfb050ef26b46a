/// Stack manipulation opcodes (OP_TOALTSTACK … OP_TUCK, OP_SIZE).
extension ScriptInterpreter {
    func executeStackOperation(_ op: UInt8, stack: inout ScriptStack, alt: inout ScriptStack, limits: ScriptLimits) throws(ScriptError) -> Bool {
        switch op {
        case 0x6b:  // OP_TOALTSTACK
            alt.push(try stack.pop())
        case 0x6c:  // OP_FROMALTSTACK
            guard !alt.isEmpty else { throw .invalidAltstackOperation }
            stack.push(try alt.pop())
        case 0x6d:  // OP_2DROP
            try stack.require(2)
            try stack.pop()
            try stack.pop()
        case 0x6e:  // OP_2DUP
            try stack.require(2)
            let a = try stack.peek(1), b = try stack.peek(0)
            stack.push(a)
            stack.push(b)
        case 0x6f:  // OP_3DUP
            try stack.require(3)
            let a = try stack.peek(2), b = try stack.peek(1), c = try stack.peek(0)
            stack.push(a)
            stack.push(b)
            stack.push(c)
        case 0x70:  // OP_2OVER
            try stack.require(4)
            let a = try stack.peek(3), b = try stack.peek(2)
            stack.push(a)
            stack.push(b)
        case 0x71:  // OP_2ROT
            try stack.require(6)
            let a = try stack.remove(depth: 5)
            let b = try stack.remove(depth: 4)
            stack.push(a)
            stack.push(b)
        case 0x72:  // OP_2SWAP
            try stack.require(4)
            stack.swapAt(depth: 3, depth: 1)
            stack.swapAt(depth: 2, depth: 0)
        case 0x73:  // OP_IFDUP
            let top = try stack.peek()
            if ScriptNumber.isTrue(top) { stack.push(top) }
        case 0x74:  // OP_DEPTH
            stack.push(ScriptNumber.encode(stack.count))
        case 0x75:  // OP_DROP
            try stack.pop()
        case 0x76:  // OP_DUP
            stack.push(try stack.peek())
        case 0x77:  // OP_NIP
            try stack.require(2)
            _ = try stack.remove(depth: 1)
        case 0x78:  // OP_OVER
            stack.push(try stack.peek(1))
        case 0x79, 0x7a:  // OP_PICK, OP_ROLL
            try stack.require(2)
            let n = try number(stack.peek())
            try stack.pop()
            guard n >= 0, n < stack.count, let depth = Int(exactly: n) else { throw .invalidStackOperation }
            let item = op == 0x7a ? try stack.remove(depth: depth) : try stack.peek(depth)
            stack.push(item)
        case 0x7b:  // OP_ROT
            try stack.require(3)
            stack.swapAt(depth: 2, depth: 1)
            stack.swapAt(depth: 1, depth: 0)
        case 0x7c:  // OP_SWAP
            try stack.require(2)
            stack.swapAt(depth: 1, depth: 0)
        case 0x7d:  // OP_TUCK
            try stack.require(2)
            stack.insert(try stack.peek(), depth: 2)
        case 0x82:  // OP_SIZE
            stack.push(ScriptNumber.encode(try stack.peek().count))
        default:
            return false
        }
        return true
    }
}
