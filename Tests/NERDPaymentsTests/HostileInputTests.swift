import NERDCrypto
import NERDPayments
import Testing

/// Random and mutated bytes through every parser and the interpreter: typed errors or
/// verdicts, never a crash, a hang or a runaway allocation.
@Suite struct HostileInputTests {
    /// A deterministic generator, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func randomBytesThroughParsers() {
        var rng = SplitMix(state: 42)
        var parsed = 0
        for _ in 0..<5_000 {
            let length = Int.random(in: 0..<300, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if (try? Transaction(bytes: bytes)) != nil { parsed += 1 }
            _ = try? Script(bytes).chunks()
            _ = ECDSASignature.parseLaxDER(bytes)
            _ = try? Base58.decode(String(decoding: bytes.map { $0 % 58 + 65 }, as: UTF8.self))
        }
        #expect(parsed < 5_000)
    }

    @Test func mutatedTransactionsThroughTheInterpreter() throws {
        let key = try PrivateKey(secret: SHA256.hash([5]))
        let script = Address(publicKey: key.publicKey()).lockingScript
        var builder = TransactionBuilder()
        builder.inputs = [SpendableOutput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([6])), vout: 0), satoshis: 10_000,
                                          lockingScript: script, signer: .p2pkh(key))]
        builder.outputs = [TransactionOutput(satoshis: 5_000, lockingScript: script)]
        let good = try builder.build().transaction.serialized
        var rng = SplitMix(state: 7)
        var accepted = 0, rejected = 0
        for _ in 0..<2_000 {
            var bytes = good
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            guard let tx = try? Transaction(bytes: bytes), tx.inputs.count == 1 else { rejected += 1; continue }
            let checker = TransactionSignatureChecker(transaction: tx, inputIndex: 0, satoshis: 10_000)
            do {
                try ScriptInterpreter(flags: .standard, checker: checker).verify(unlockingScript: tx.inputs[0].unlockingScript, lockingScript: script)
                accepted += 1
            } catch {
                rejected += 1
            }
        }
        // Only mutations that leave the signed parts alone can verify (the sighash covers the
        // rest); everything else is refused with a script error.
        #expect(rejected > 1_900)
        print("mutated transactions: \(accepted) still valid, \(rejected) refused")
    }

    @Test func encodingsTheNodeRefuses() throws {
        // A CompactSize in a longer form than needed (fd 01 00 for 1 input).
        let tx = try Transaction(hex: "0100000001" + String(repeating: "11", count: 32) + "00000000" + "00" + "ffffffff" + "01" + "0000000000000000" + "00" + "00000000")
        var bytes = tx.serialized
        bytes.replaceSubrange(4..<5, with: [0xfd, 0x01, 0x00])
        #expect(throws: PaymentsError.self) { try Transaction(bytes: bytes) }
        // Chunks whose opcode and data disagree cannot be made.
        #expect(ScriptChunk(opcode: 5, data: [1, 2]) == nil)
        #expect(ScriptChunk(opcode: Opcode.OP_PUSHDATA1, data: [UInt8](repeating: 0, count: 300)) == nil)
        #expect(ScriptChunk(opcode: Opcode.OP_DUP, data: [1]) == nil)
        #expect(ScriptChunk(opcode: Opcode.OP_DUP)?.encoded == [Opcode.OP_DUP])
        // A depth-0 extended key with a parent fingerprint (BIP 32 test vector 5).
        #expect(throws: PaymentsError.self) {
            try ExtendedKey("xpub661no6RGEX3uJkY4bNnPcw4URcQTrSibUZ4NqJEw5eBkv7ovTwgiT91XX27VbEXGENhYRCf7hyEbWrR3FewATdCEebj6znwMfQkhRYHRLpJ")
        }
        // Fees saturate instead of trapping, and the builder refuses impossible amounts.
        #expect(FeeRate(satoshisPerKilobyte: .max).fee(forSize: 1000) == .max)
        #expect(FeeRate(satoshisPerKilobyte: 100).fee(forSize: 226) == 23)
        let key = try PrivateKey(secret: SHA256.hash([3]))
        var builder = TransactionBuilder()
        builder.inputs = [SpendableOutput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([4])), vout: 0), satoshis: .max,
                                          lockingScript: Address(publicKey: key.publicKey()).lockingScript, signer: .p2pkh(key))]
        builder.outputs = [TransactionOutput(satoshis: .max, lockingScript: Script([Opcode.OP_1]))]
        #expect(throws: PaymentsError.self) { try builder.build() }
        // SIGHASH_SINGLE without a matching output would sign the constant 1: refused.
        let twoInputs = Transaction(inputs: [TransactionInput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([5])), vout: 0)),
                                             TransactionInput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([6])), vout: 0))],
                                    outputs: [TransactionOutput(satoshis: 1, lockingScript: Script([Opcode.OP_1]))])
        #expect(throws: PaymentsError.self) {
            try twoInputs.signature(inputIndex: 1, key: key, scriptCode: Script([Opcode.OP_1]), satoshis: 5, type: .single)
        }
        #expect(throws: PaymentsError.self) { try twoInputs.signature(inputIndex: 9, key: key, scriptCode: Script(), satoshis: 5) }
    }

    @Test func resourceLimitsHold() throws {
        let checker = TransactionSignatureChecker(transaction: Transaction(inputs: [TransactionInput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([1])), vout: 0))]), inputIndex: 0, satoshis: 0)
        // 2^31-byte NUM2BIN and a huge OP_MUL after Genesis are refused, not attempted.
        var num2bin = Script([Opcode.OP_1])
        num2bin.append(push: ScriptNumber.encode(Int(Int32.max)))
        num2bin.append(0x80)
        #expect(throws: ScriptError.pushSize) {
            try ScriptInterpreter(flags: [.utxoAfterGenesis], checker: checker).verify(unlockingScript: Script(), lockingScript: num2bin)
        }
        // A shift by ~2^55 bits after Chronicle is refused, not attempted (and does not trap).
        var shift = Script([Opcode.OP_1])
        shift.append(push: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
        shift.append(0xb6)
        #expect(throws: ScriptError.stackSize) {
            try ScriptInterpreter(flags: [.utxoAfterGenesis, .utxoAfterChronicle], checker: checker).verify(unlockingScript: Script(), lockingScript: shift)
        }
        // "Unlimited" stack memory does not overflow the bit budget.
        var unlimited = ScriptLimits.afterGenesis
        unlimited.maxStackMemory = .max
        var mul = Script()
        mul.append(push: [0xff, 0x7f])
        mul.append(Opcode.OP_DUP)
        mul.append(0x95)
        #expect(throws: Never.self) {
            try ScriptInterpreter(flags: [.utxoAfterGenesis], checker: checker, limits: unlimited).verify(unlockingScript: Script(), lockingScript: mul)
        }
        // 1,001 stack elements before Genesis.
        let deep = Script([UInt8](repeating: Opcode.OP_1, count: 1001))
        #expect(throws: ScriptError.stackSize) { try ScriptInterpreter(flags: [], checker: checker).verify(unlockingScript: Script(), lockingScript: deep) }
        // Doubling a 1 KiB element until it passes the 32 MiB stack memory bound after Genesis.
        var grow = Script()
        grow.append(push: [UInt8](repeating: 7, count: 1024))
        for _ in 0..<20 { grow.append(Opcode.OP_DUP); grow.append(0x7e) }
        #expect(throws: ScriptError.stackSize) {
            try ScriptInterpreter(flags: [.utxoAfterGenesis], checker: checker).verify(unlockingScript: Script(), lockingScript: grow)
        }
    }
}
