import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// The node's `script_tests.json`: each row's scripts run through the interpreter in a
/// crediting/spending transaction pair, and the result must be the error the node reports.
/// Every row runs, the Chronicle upgrade's (`UTXO_AFTER_CHRONICLE`) included.
@Suite struct ScriptTestVectors {
    @Test func upstreamScriptTests() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let rows = try #require(SharedMaterial.json("vectors/bsv/upstream/script_tests.json") as? [[Any]])
        var ran = 0, passed = 0, outOfScope = 0
        var failures: [String] = []
        for row in rows where row.count >= 5 {
            var i = 0
            var satoshis: UInt64 = 0
            if let amount = row[0] as? [Double] {
                satoshis = UInt64((amount[0] * 100_000_000).rounded())
                i = 1
            }
            guard row.count >= i + 5, let version = UInt32(row[i] as? String ?? ""),
                  let sigASM = row[i + 1] as? String, let pubASM = row[i + 2] as? String,
                  let flagNames = row[i + 3] as? String, let expected = row[i + 4] as? String else { continue }
            let flags = try #require(ScriptFlags(names: flagNames), "flags \(flagNames)")
            ran += 1
            let result: String
            do {
                let unlocking = try Script(nodeASM: sigASM)
                let locking = try Script(nodeASM: pubASM)
                result = Self.run(unlocking: unlocking, locking: locking, satoshis: satoshis, version: version, flags: flags)
            } catch {
                result = "PARSE: \(error)"
            }
            if result == expected {
                passed += 1
            } else {
                failures.append("[\(sigASM)] [\(pubASM)] \(flagNames): expected \(expected), got \(result)")
            }
        }
        print("script_tests.json: \(ran) rows ran, \(passed) passed, \(outOfScope) out of scope")
        for failure in failures.prefix(40) { print("  mismatch: \(failure)") }
        #expect(failures.isEmpty)
        #expect(ran == 1483)
    }

    static func run(unlocking: Script, locking: Script, satoshis: UInt64, version: UInt32, flags: ScriptFlags) -> String {
        let credit = Transaction(
            version: 1,
            inputs: [TransactionInput(outpoint: Outpoint(txid: TxID(bytes: [UInt8](repeating: 0, count: 32)), vout: 0xffff_ffff),
                                      unlockingScript: Script([0, 0]))],
            outputs: [TransactionOutput(satoshis: satoshis, lockingScript: locking)])
        let spend = Transaction(
            version: version,
            inputs: [TransactionInput(outpoint: Outpoint(txid: credit.txid, vout: 0), unlockingScript: unlocking)],
            outputs: [TransactionOutput(satoshis: satoshis, lockingScript: Script())])
        let checker = TransactionSignatureChecker(transaction: spend, inputIndex: 0, satoshis: satoshis)
        do {
            try ScriptInterpreter(flags: flags, checker: checker).verify(unlockingScript: unlocking, lockingScript: locking)
            return "OK"
        } catch {
            return error.rawValue
        }
    }
}
