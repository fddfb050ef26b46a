import BigInt

/// Small-number pushes, NOPs, lock-time checks, IF/NOTIF/ELSE/ENDIF, VERIFY and RETURN.
extension ScriptInterpreter {
    func executeFlowControl(_ op: UInt8, executing: Bool, stack: inout ScriptStack, state: inout EvaluationState) throws(ScriptError) -> Bool {
        switch op {
        case Opcode.OP_1NEGATE, Opcode.OP_1...Opcode.OP_16:
            stack.push(ScriptNumber.encode(Opcode.smallIntegerValue(op)!))
        case Opcode.OP_NOP:
            break
        case Opcode.OP_CHECKLOCKTIMEVERIFY:
            guard flags.contains(.checkLockTimeVerify) && !afterGenesis else { return try upgradableNop() }
            let lockTime = try number(stack.peek(), maxLength: 5)
            guard lockTime >= 0 else { throw .negativeLockTime }
            guard let value = Int64(exactly: lockTime), checker.checkLockTime(value) else { throw .unsatisfiedLockTime }
        case Opcode.OP_CHECKSEQUENCEVERIFY:
            guard flags.contains(.checkSequenceVerify) && !afterGenesis else { return try upgradableNop() }
            let sequence = try number(stack.peek(), maxLength: 5)
            guard sequence >= 0 else { throw .negativeLockTime }
            guard let value = Int64(exactly: sequence) else { throw .unsatisfiedLockTime }
            // The disable flag makes the check a NOP, leaving room for future meanings.
            if value & (1 << 31) != 0 { break }
            guard checker.checkSequence(value) else { throw .unsatisfiedLockTime }
        case 0xb3...0xb7 where afterChronicle:
            return false  // Chronicle's OP_SUBSTR … OP_RSHIFTNUM
        case 0xb0, 0xb3...0xb9:
            return try upgradableNop()
        case Opcode.OP_IF, Opcode.OP_NOTIF:
            var value = false
            if executing {
                guard !stack.isEmpty else { throw .unbalancedConditional }
                let top = try stack.peek()
                if flags.contains(.minimalIf) && (top.count > 1 || (top.count == 1 && top[0] != 1)) { throw .minimalIf }
                value = ScriptNumber.isTrue(top)
                if op == Opcode.OP_NOTIF { value.toggle() }
                try stack.pop()
            }
            state.pushCondition(value)
        case Opcode.OP_ELSE:
            guard state.flipCondition(oneElse: afterGenesis) else { throw .unbalancedConditional }
        case Opcode.OP_ENDIF:
            guard state.popCondition() else { throw .unbalancedConditional }
        case 0x65 where afterChronicle, 0x66 where afterChronicle:  // OP_VERIF, OP_VERNOTIF: IF on "top == tx version"
            var value = false
            if executing {
                let top = try stack.pop()
                value = top == Self.versionBytes(checker.transactionVersion)
                if op == 0x66 { value.toggle() }
            }
            state.pushCondition(value)
        case 0x65, 0x66:  // OP_VERIF, OP_VERNOTIF
            guard afterGenesis && !executing else { throw .badOpcode }
        case Opcode.OP_VERIFY:
            guard ScriptNumber.isTrue(try stack.peek()) else { throw .verify }
            try stack.pop()
        case Opcode.OP_RETURN:
            guard afterGenesis else { throw .opReturn }
            if state.conditions.isEmpty {
                state.didReturn = true
            } else {
                state.returnedInBranch = true
            }
        default:
            return false
        }
        return true
    }

    static func versionBytes(_ version: UInt32) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLE(version)
        return bytes
    }

    private func upgradableNop() throws(ScriptError) -> Bool {
        if flags.contains(.discourageUpgradableNops) { throw .discourageUpgradableNops }
        return true
    }
}
