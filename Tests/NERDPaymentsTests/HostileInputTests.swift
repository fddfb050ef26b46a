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

    @Test func resourceLimitsHold() throws {
        let checker = TransactionSignatureChecker(transaction: Transaction(inputs: [TransactionInput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([1])), vout: 0))]), inputIndex: 0, satoshis: 0)
        // 2^31-byte NUM2BIN and a huge OP_MUL after Genesis are refused, not attempted.
        var num2bin = Script([Opcode.OP_1])
        num2bin.append(push: ScriptNumber.encode(Int(Int32.max)))
        num2bin.append(0x80)
        #expect(throws: ScriptError.pushSize) {
            try ScriptInterpreter(flags: [.utxoAfterGenesis], checker: checker).verify(unlockingScript: Script(), lockingScript: num2bin)
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
