import NERDCrypto

/// Hash opcodes, OP_CODESEPARATOR, OP_CHECKSIG and OP_CHECKMULTISIG with their encoding rules
/// (BIP 66 strict DER, low-S, defined sighash types, FORKID, public-key forms, NULLFAIL,
/// NULLDUMMY).
extension ScriptInterpreter {
    func executeCrypto(_ op: UInt8, stack: inout ScriptStack, state: inout EvaluationState, script: [UInt8],
                       opCount: inout Int, limits: ScriptLimits) throws(ScriptError) -> Bool {
        switch op {
        case 0xa6: stack.replaceTop(RIPEMD160.hash(try stack.peek()))
        case 0xa7: stack.replaceTop(SHA1.hash(try stack.peek()))
        case 0xa8: stack.replaceTop(SHA256.hash(try stack.peek()))
        case 0xa9: stack.replaceTop(Hash160.hash(try stack.peek()))
        case 0xaa: stack.replaceTop(SHA256.doubleHash(try stack.peek()))
        case Opcode.OP_CODESEPARATOR:
            state.codeStart = state.position
        case Opcode.OP_CHECKSIG, Opcode.OP_CHECKSIGVERIFY:
            try stack.require(2)
            let signature = try stack.peek(1)
            let publicKey = try stack.peek(0)
            try checkSignatureEncoding(signature)
            try checkPublicKeyEncoding(publicKey)
            var scriptCode = Array(script[state.codeStart...])
            cleanUp(&scriptCode, removing: signature)
            let ok = checker.checkSignature(signature, publicKey: publicKey, scriptCode: scriptCode, forkIDEnabled: forkIDDigest(for: signature))
            if !ok && flags.contains(.nullFail) && !signature.isEmpty { throw .sigNullFail }
            try stack.pop()
            try stack.pop()
            if op == Opcode.OP_CHECKSIGVERIFY {
                guard ok else { throw .checkSigVerify }
            } else {
                stack.push(ok ? [1] : [])
            }
        case Opcode.OP_CHECKMULTISIG, Opcode.OP_CHECKMULTISIGVERIFY:
            try checkMultisig(op, stack: &stack, state: state, script: script, opCount: &opCount, limits: limits)
        default:
            return false
        }
        return true
    }

    private func checkMultisig(_ op: UInt8, stack: inout ScriptStack, state: EvaluationState, script: [UInt8],
                               opCount: inout Int, limits: ScriptLimits) throws(ScriptError) {
        // Depths below the top: key count at 0, keys from 1, then the signature count,
        // the signatures and one extra (dummy) element.
        try stack.require(1)
        guard let keyCount = Int(exactly: try number(stack.peek(0), maxLength: 4)), keyCount >= 0,
              keyCount <= limits.maxMultisigKeys else { throw .pubkeyCount }
        opCount += keyCount
        guard opCount <= limits.maxOperations else { throw .opCount }
        var keyDepth = 1
        try stack.require(keyCount + 2)
        guard let sigCount = Int(exactly: try number(stack.peek(keyCount + 1), maxLength: 4)), sigCount >= 0 else {
            throw .sigCount
        }
        guard sigCount <= keyCount else { throw .sigCount }
        var sigDepth = keyCount + 2
        let total = keyCount + sigCount + 3
        try stack.require(total)

        var scriptCode = Array(script[state.codeStart...])
        for k in 0..<sigCount { cleanUp(&scriptCode, removing: try stack.peek(sigDepth + k)) }

        var success = true
        var keysLeft = keyCount
        var sigsLeft = sigCount
        while success && sigsLeft > 0 {
            let signature = try stack.peek(sigDepth)
            let publicKey = try stack.peek(keyDepth)
            try checkSignatureEncoding(signature)
            try checkPublicKeyEncoding(publicKey)
            if checker.checkSignature(signature, publicKey: publicKey, scriptCode: scriptCode, forkIDEnabled: forkIDDigest(for: signature)) {
                sigDepth += 1
                sigsLeft -= 1
            }
            keyDepth += 1
            keysLeft -= 1
            if sigsLeft > keysLeft { success = false }
        }
        // Pop everything but the dummy; with NULLFAIL a failed check needs empty signatures.
        for popped in 0..<(total - 1) {
            let top = try stack.peek()
            if !success && flags.contains(.nullFail) && popped >= keyCount + 2 && !top.isEmpty { throw .sigNullFail }
            try stack.pop()
        }
        let dummy = try stack.peek()
        if flags.contains(.nullDummy) && !dummy.isEmpty { throw .sigNullDummy }
        try stack.pop()
        if op == Opcode.OP_CHECKMULTISIGVERIFY {
            guard success else { throw .checkMultisigVerify }
        } else {
            stack.push(success ? [1] : [])
        }
    }

    /// Whether a signature's digest is the FORKID one: FORKID enabled and set, unless Chronicle's
    /// 0x20 bit asks for the original digest on an output created after Chronicle.
    private func forkIDDigest(for signature: [UInt8]) -> Bool {
        let type = SighashType(rawValue: UInt32(signature.last ?? 0))
        return flags.contains(.sighashForkID) && !(afterChronicle && type.hasChronicle)
    }

    /// Pre-FORKID signatures cannot sign themselves, so the node deletes them from the
    /// script code first (FindAndDelete).
    private func cleanUp(_ scriptCode: inout [UInt8], removing signature: [UInt8]) {
        // An empty signature never verifies, so the script code it would be checked against
        // does not matter.
        guard !signature.isEmpty else { return }
        let type = SighashType(rawValue: UInt32(signature.last ?? 0))
        guard !flags.contains(.sighashForkID) || !type.hasForkID else { return }
        scriptCode = Self.findAndDelete(scriptCode, ScriptChunk.push(signature).encoded)
    }

    /// Removes every occurrence of `pattern` that starts at an opcode boundary.
    static func findAndDelete(_ script: [UInt8], _ pattern: [UInt8]) -> [UInt8] {
        guard !pattern.isEmpty else { return script }
        var result: [UInt8] = []
        var found = false
        var reader = ScriptReader(script)
        var copyFrom = 0
        var position = 0
        while true {
            result += script[copyFrom..<position]
            while script.count - position >= pattern.count && script[position..<(position + pattern.count)].elementsEqual(pattern) {
                position += pattern.count
                found = true
            }
            copyFrom = position
            reader = ScriptReader(script, position: position)
            guard (try? reader.next()) != nil, let next = Optional(reader.position) else { break }
            position = next
        }
        guard found else { return script }
        result += script[copyFrom...]
        return result
    }

    private func checkSignatureEncoding(_ signature: [UInt8]) throws(ScriptError) {
        guard !signature.isEmpty else { return }
        let der = signature.dropLast()
        if !flags.isDisjoint(with: [.derSignatures, .lowS, .strictEncoding]) && !ECDSASignature.isStrictDER(der) {
            throw .sigDER
        }
        if flags.contains(.lowS), let parsed = ECDSASignature.parseLaxDER(der), !parsed.overflowsOrder, !parsed.isLowS {
            // An r or s at or above n parses (as the node's lax parser does) to a zero
            // signature, which is low; it fails in CHECKSIG instead.
            throw .sigHighS
        }
        if flags.contains(.strictEncoding) {
            let type = SighashType(rawValue: UInt32(signature.last!))
            let chronicleBit = afterChronicle ? SighashType.chronicleBit : 0
            let base = type.rawValue & ~(SighashType.forkIDBit | SighashType.anyoneCanPayBit | chronicleBit)
            guard (1...3).contains(base) else { throw .sigHashType }
            let forkIDEnabled = flags.contains(.sighashForkID)
            if !forkIDEnabled && type.hasForkID { throw .illegalForkID }
            if forkIDEnabled && !type.hasForkID { throw .mustUseForkID }
        }
    }

    private func checkPublicKeyEncoding(_ key: [UInt8]) throws(ScriptError) {
        if flags.contains(.strictEncoding) {
            let ok = (key.first == 0x04 && key.count == 65) || ((key.first == 0x02 || key.first == 0x03) && key.count == 33)
            guard ok else { throw .pubkeyType }
        }
        if flags.contains(.compressedPublicKeys) && !(key.count == 33 && (key.first == 0x02 || key.first == 0x03)) {
            throw .nonCompressedPubkey
        }
    }
}
