import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// Transactions NERD builds and signs, checked by the independent verifier
/// (`harness/bsv_verify.py`: bsv-sdk's interpreter and a coincurve signature check); a
/// tampered copy of each must be refused by it and by NERD's own interpreter.
@Suite(.serialized) struct BSVVerifierInterop {
    static let payer = try! PrivateKey(secret: SHA256.hash(Array("NERD interop: payer".utf8)))
    static let payee = try! PrivateKey(secret: SHA256.hash(Array("NERD interop: payee".utf8)))
    static var payerScript: Script { Address(publicKey: payer.publicKey()).lockingScript }
    static var payeeScript: Script { Address(publicKey: payee.publicKey()).lockingScript }

    static func fundingOutpoint(_ label: String) -> Outpoint {
        Outpoint(txid: TxID(bytes: SHA256.doubleHash(Array(label.utf8))), vout: 1)
    }

    struct Case {
        var name: String
        var builder: TransactionBuilder
    }

    static func cases() -> [Case] {
        var cases: [Case] = []

        var p2pkh = TransactionBuilder()
        p2pkh.inputs = [SpendableOutput(outpoint: fundingOutpoint("p2pkh"), satoshis: 100_000, lockingScript: payerScript, signer: .p2pkh(payer))]
        p2pkh.outputs = [TransactionOutput(satoshis: 60_000, lockingScript: payeeScript)]
        p2pkh.changeScript = payerScript
        cases.append(Case(name: "P2PKH spend", builder: p2pkh))

        var multisig = TransactionBuilder()
        let twoOfTwo = Script.multisig(required: 2, publicKeys: [payer.publicKey(), payee.publicKey()])
        multisig.inputs = [SpendableOutput(outpoint: fundingOutpoint("2of2"), satoshis: 50_000, lockingScript: twoOfTwo, signer: .multisig([payer, payee]))]
        multisig.outputs = [TransactionOutput(satoshis: 12_000, lockingScript: payeeScript)]
        multisig.changeScript = payerScript
        cases.append(Case(name: "2-of-2 multisig spend", builder: multisig))

        var timeLocked = TransactionBuilder()
        timeLocked.inputs = [SpendableOutput(outpoint: fundingOutpoint("refund"), satoshis: 50_000, lockingScript: twoOfTwo,
                                             signer: .multisig([payer, payee]), sequence: 0)]
        timeLocked.lockTime = 950_000
        timeLocked.changeScript = payerScript
        cases.append(Case(name: "time-locked refund (nLockTime 950000, nSequence 0)", builder: timeLocked))

        var data = TransactionBuilder()
        data.inputs = [SpendableOutput(outpoint: fundingOutpoint("data"), satoshis: 10_000, lockingScript: payeeScript, signer: .p2pkh(payee))]
        data.outputs = [TransactionOutput(satoshis: 0, lockingScript: .data([Array("NERD".utf8), Array("receipt".utf8), SHA256.hash([1, 2, 3])]))]
        data.changeScript = payeeScript
        cases.append(Case(name: "OP_FALSE OP_RETURN data output", builder: data))

        var inscription = TransactionBuilder()
        let json = #"{"p":"bsv-20","op":"deploy+mint","sym":"NERD","amt":"2100000000000000","dec":"8"}"#
        inscription.inputs = [SpendableOutput(outpoint: fundingOutpoint("inscription"), satoshis: 10_000, lockingScript: payerScript, signer: .p2pkh(payer))]
        inscription.outputs = [TransactionOutput(satoshis: 1, lockingScript: .inscription(contentType: "application/bsv-20", content: Array(json.utf8), lockingScript: payerScript))]
        inscription.changeScript = payerScript
        cases.append(Case(name: "1Sat Ordinals inscription output", builder: inscription))
        return cases
    }

    static func nerdVerifies(_ tx: Transaction, _ inputs: [SpendableOutput]) -> Bool {
        let hashes = SignatureHash(tx)
        for (i, input) in inputs.enumerated() {
            let checker = TransactionSignatureChecker(transaction: tx, inputIndex: i, satoshis: input.satoshis, hashes: hashes)
            do {
                try ScriptInterpreter(flags: .standard, checker: checker).verify(unlockingScript: tx.inputs[i].unlockingScript, lockingScript: input.lockingScript)
            } catch {
                return false
            }
        }
        return true
    }

    @Test func independentVerifierAcceptsNERDTransactions() throws {
        guard Prerequisite.check(BSVVerifier.isAvailable, "bsv_verify.py with bsv-sdk and coincurve (\(BSVVerifier.python))") else { return }
        for testCase in Self.cases() {
            let (tx, _) = try testCase.builder.build()
            let prevouts = testCase.builder.inputs.map { (script: $0.lockingScript.hex, satoshis: $0.satoshis) }
            #expect(tx.version == 1)
            #expect(Self.nerdVerifies(tx, testCase.builder.inputs), "\(testCase.name): NERD's interpreter")
            let verdict = try BSVVerifier.verify(transactionHex: tx.hex, prevouts: prevouts)
            #expect(verdict.status == 0, "\(testCase.name): \(verdict.output)")
            #expect(verdict.txid == tx.txid.hex)
            #expect(verdict.inputsValid == Array(repeating: true, count: tx.inputs.count))
            let fee = testCase.builder.inputs.reduce(0) { $0 + $1.satoshis } - tx.totalOutput!
            // The fee is estimated with 73-byte signatures, so it may exceed the exact one by a few bytes' worth.
            #expect(fee >= FeeRate.standard.fee(forSize: tx.size) && fee <= FeeRate.standard.fee(forSize: tx.size + 8), "\(testCase.name): fee \(fee)")

            // Tampered: one more satoshi to the last output after signing.
            var tampered = tx
            tampered.outputs[tampered.outputs.count - 1].satoshis += 1
            #expect(!Self.nerdVerifies(tampered, testCase.builder.inputs), "\(testCase.name): NERD accepted a tampered copy")
            let rejected = try BSVVerifier.verify(transactionHex: tampered.hex, prevouts: prevouts)
            #expect(rejected.status != 0, "\(testCase.name): the verifier accepted a tampered copy")
            print("bsv_verify: \(testCase.name): txid \(tx.txid.hex), \(tx.size) bytes, fee \(fee) sat; tampered copy rejected by both")
        }
    }
}
