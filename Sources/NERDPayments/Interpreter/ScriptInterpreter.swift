import BigInt
import NERDCrypto

/// Verifies an unlocking script against a locking script with the BSV node's rules: the
/// pre-Genesis rules for old outputs, the Genesis rules (unbounded numbers, top-level
/// OP_RETURN, no P2SH) for outputs flagged `utxoAfterGenesis`, and the policy flags given.
///
/// Outputs flagged `utxoAfterChronicle` also get the Chronicle (2025) opcodes: OP_VER,
/// OP_VERIF/OP_VERNOTIF, OP_2MUL/OP_2DIV, OP_SUBSTR, OP_LEFT, OP_RIGHT, OP_LSHIFTNUM,
/// OP_RSHIFTNUM, and the 0x20 sighash bit selecting the original digest. Limits on script
/// size, element size, number length, operations, stack elements and stack memory apply
/// throughout (memory is checked after each operation, which can at most double it).
public struct ScriptInterpreter {
    public var flags: ScriptFlags
    public var checker: any SignatureChecker
    /// nil: `ScriptLimits.beforeGenesis` or `.afterGenesis`, as the flags say.
    public var limits: ScriptLimits?

    public init(flags: ScriptFlags, checker: any SignatureChecker, limits: ScriptLimits? = nil) {
        self.flags = flags
        self.checker = checker
        self.limits = limits
    }

    var afterGenesis: Bool { flags.contains(.utxoAfterGenesis) }
    var afterChronicle: Bool { flags.contains(.utxoAfterChronicle) }
    var activeLimits: ScriptLimits { limits ?? (afterGenesis ? .afterGenesis : .beforeGenesis) }

    /// Runs the unlocking script, then the locking script on the same stack, and (before
    /// Genesis) a P2SH redeem script.
    ///
    /// - Throws: the `ScriptError` the node reports for the first rule broken.
    public func verify(unlockingScript: Script, lockingScript: Script) throws(ScriptError) {
        var interpreter = self
        if flags.contains(.sighashForkID) { interpreter.flags.insert(.strictEncoding) }
        let flags = interpreter.flags
        if flags.contains(.sigPushOnly) && !unlockingScript.isPushOnly { throw .sigPushOnly }
        var stack = ScriptStack()
        try interpreter.evaluate(unlockingScript.bytes, stack: &stack)
        let p2shEvaluated = flags.contains(.p2sh) && !afterGenesis
        let stackCopy = stack
        try interpreter.evaluate(lockingScript.bytes, stack: &stack)
        guard let top = stack.items.last, ScriptNumber.isTrue(top) else { throw .evalFalse }
        if p2shEvaluated && Self.isPayToScriptHash(lockingScript.bytes) {
            guard unlockingScript.isPushOnly else { throw .sigPushOnly }
            stack = stackCopy
            let redeemScript = try stack.pop()
            try interpreter.evaluate(redeemScript, stack: &stack)
            guard let top = stack.items.last, ScriptNumber.isTrue(top) else { throw .evalFalse }
        }
        if flags.contains(.cleanStack) && stack.count != 1 { throw .cleanStack }
    }

    static func isPayToScriptHash(_ s: [UInt8]) -> Bool {
        s.count == 23 && s[0] == Opcode.OP_HASH160 && s[1] == 0x14 && s[22] == Opcode.OP_EQUAL
    }

    /// Executes one script on `stack`.
    func evaluate(_ script: [UInt8], stack: inout ScriptStack) throws(ScriptError) {
        let limits = activeLimits
        guard script.count <= limits.maxScriptSize else { throw .scriptSize }
        var state = EvaluationState(script: script)
        var alt = ScriptStack()
        var opCount = 0
        let requireMinimal = flags.contains(.minimalData)
        var reader = ScriptReader(script)
        while !reader.isAtEnd {
            let chunk: ScriptChunk
            do {
                guard let next = try reader.next() else { break }
                chunk = next
                state.position = reader.position
            } catch {
                throw .badOpcode
            }
            let op = chunk.opcode
            if !afterGenesis, let data = chunk.data, data.count > limits.maxElementSize { throw .pushSize }
            let executing = state.falseConditions == 0 && (!state.returnedInBranch || op == Opcode.OP_RETURN)
            if op > Opcode.OP_16 {
                opCount += 1
                guard opCount <= limits.maxOperations else { throw .opCount }
            }
            if (op == 0x8d || op == 0x8e) && !afterChronicle && (!afterGenesis || executing) { throw .disabledOpcode }

            if executing, op <= Opcode.OP_PUSHDATA4 {
                let data = chunk.data ?? []
                if requireMinimal && !Self.isMinimalPush(data, opcode: op) { throw .minimalData }
                stack.push(data)
            } else if executing || (Opcode.OP_IF...Opcode.OP_ENDIF).contains(op) {
                if try executeFlowControl(op, executing: executing, stack: &stack, state: &state) {
                    // handled
                } else if try executeStackOperation(op, stack: &stack, alt: &alt, limits: limits) {
                } else if try executeBytesOperation(op, stack: &stack, limits: limits) {
                } else if try executeArithmetic(op, stack: &stack, limits: limits) {
                } else if try executeCrypto(op, stack: &stack, state: &state, script: script, opCount: &opCount, limits: limits) {
                } else if afterChronicle, try executeChronicle(op, stack: &stack, limits: limits) {
                } else if state.didReturn {
                    return
                } else {
                    throw .badOpcode
                }
                if state.didReturn { return }
            }
            if stack.count + alt.count > limits.maxStackElements { throw .stackSize }
            if stack.byteCount + alt.byteCount > limits.maxStackMemory { throw .stackSize }
        }
        guard state.conditions.isEmpty else { throw .unbalancedConditional }
    }

    /// Conditional execution, OP_CODESEPARATOR's position and OP_RETURN's outcome.
    struct EvaluationState {
        let script: [UInt8]
        var position = 0
        private(set) var conditions: [Bool] = []
        /// How many entries of `conditions` are false, so "every branch taken" is O(1).
        private(set) var falseConditions = 0
        private(set) var sawElse: [Bool] = []

        mutating func pushCondition(_ value: Bool) {
            conditions.append(value)
            sawElse.append(false)
            if !value { falseConditions += 1 }
        }

        /// OP_ELSE. - Returns: false when there is no open IF, or (`oneElse`) it had an ELSE.
        mutating func flipCondition(oneElse: Bool) -> Bool {
            guard let last = conditions.last, !(sawElse.last! && oneElse) else { return false }
            falseConditions += last ? 1 : -1
            conditions[conditions.count - 1] = !last
            sawElse[sawElse.count - 1] = true
            return true
        }

        /// OP_ENDIF. - Returns: false when there is no open IF.
        mutating func popCondition() -> Bool {
            guard let last = conditions.popLast() else { return false }
            sawElse.removeLast()
            if !last { falseConditions -= 1 }
            return true
        }
        var codeStart = 0
        /// A post-Genesis OP_RETURN inside a branch: nothing more executes, but the
        /// conditional structure is still checked.
        var returnedInBranch = false
        /// A post-Genesis top-level OP_RETURN: the script ends successfully.
        var didReturn = false
    }

    /// BIP 62's minimal push rule.
    static func isMinimalPush(_ data: [UInt8], opcode: UInt8) -> Bool {
        if data.isEmpty { return opcode == Opcode.OP_0 }
        if data.count == 1 && (1...16).contains(data[0]) { return opcode == Opcode.OP_1 + data[0] - 1 }
        if data.count == 1 && data[0] == 0x81 { return opcode == Opcode.OP_1NEGATE }
        if data.count <= 75 { return Int(opcode) == data.count }
        if data.count <= 255 { return opcode == Opcode.OP_PUSHDATA1 }
        if data.count <= 65535 { return opcode == Opcode.OP_PUSHDATA2 }
        return true
    }

    func number(_ bytes: [UInt8], maxLength: Int? = nil) throws(ScriptError) -> BigInt {
        try ScriptNumber.decode(bytes, requireMinimal: flags.contains(.minimalData), maxLength: maxLength ?? activeLimits.maxNumberLength)
    }
}
