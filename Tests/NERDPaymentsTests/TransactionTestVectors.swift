import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// The node's `tx_valid.json` and `tx_invalid.json`: every input of a valid transaction
/// verifies under each listed flag set; an invalid one fails its structure check or some
/// input's script.
@Suite struct TransactionTestVectors {
    struct Row {
        var prevouts: [Outpoint: (script: Script, satoshis: UInt64)]
        /// nil when the bytes do not parse (which only an invalid row may do).
        var transaction: Transaction?
        var flagSets: [ScriptFlags]
        var text: String
    }

    static func rows(_ file: String) throws -> (rows: [Row], outOfScope: Int) {
        let raw = try #require(SharedMaterial.json("vectors/bsv/upstream/" + file) as? [[Any]])
        var rows: [Row] = []
        var outOfScope = 0
        for entry in raw where entry.count == 3 {
            guard let inputs = entry[0] as? [[Any]], let hex = entry[1] as? String else { continue }
            let names = (entry[2] as? [String]) ?? [entry[2] as? String ?? ""]
            if names.contains(where: { $0.contains("CHRONICLE") }) {
                outOfScope += 1
                continue
            }
            var prevouts: [Outpoint: (Script, UInt64)] = [:]
            for input in inputs {
                let txid = try TxID(hex: input[0] as! String)
                let vout = UInt32(bitPattern: Int32(truncatingIfNeeded: input[1] as! Int))
                let script = try Script(nodeASM: input[2] as! String)
                let amount = input.count > 3 ? UInt64(input[3] as! Int) : 0
                prevouts[Outpoint(txid: txid, vout: vout)] = (script, amount)
            }
            let flagSets = try names.map { try #require(ScriptFlags(names: $0), "flags \($0)") }
            rows.append(Row(prevouts: prevouts, transaction: try? Transaction(hex: hex), flagSets: flagSets, text: hex))
        }
        return (rows, outOfScope)
    }

    /// nil when valid, else why not.
    static func verify(_ row: Row, flags: ScriptFlags) -> String? {
        guard let tx = row.transaction else { return "does not parse" }
        do { try tx.checkStructure() } catch { return "\(error)" }
        let hashes = SignatureHash(tx)
        for (i, input) in tx.inputs.enumerated() {
            guard let prevout = row.prevouts[input.outpoint] else { return "input \(i): unknown prevout" }
            let checker = TransactionSignatureChecker(transaction: tx, inputIndex: i, satoshis: prevout.satoshis, hashes: hashes)
            do {
                try ScriptInterpreter(flags: flags, checker: checker).verify(unlockingScript: input.unlockingScript, lockingScript: prevout.script)
            } catch {
                return "input \(i): \(error.rawValue)"
            }
        }
        return nil
    }

    @Test func validTransactions() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let (rows, outOfScope) = try Self.rows("tx_valid.json")
        var runs = 0, passed = 0
        for row in rows {
            for flags in row.flagSets {
                runs += 1
                let failure = Self.verify(row, flags: flags)
                #expect(failure == nil, "\(row.text.prefix(60))… flags \(flags.rawValue): \(failure ?? "")")
                if failure == nil { passed += 1 }
            }
        }
        print("tx_valid.json: \(rows.count) rows ran (\(runs) flag sets), \(passed) passed, \(outOfScope) out of scope")
        #expect(rows.count >= 90)
    }

    @Test func invalidTransactions() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let (rows, outOfScope) = try Self.rows("tx_invalid.json")
        var runs = 0, rejected = 0
        var reasons: [String: Int] = [:]
        for row in rows {
            for flags in row.flagSets {
                runs += 1
                let failure = Self.verify(row, flags: flags)
                #expect(failure != nil, "\(row.text.prefix(60))… flags \(flags.rawValue) was accepted")
                if let failure {
                    rejected += 1
                    let reason = failure.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? failure
                    reasons[reason, default: 0] += 1
                }
            }
        }
        print("tx_invalid.json: \(rows.count) rows ran (\(runs) flag sets), \(rejected) rejected as expected, \(outOfScope) out of scope")
        print("  reasons: \(reasons.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        // Every rejection comes from a rule, not from a row the test could not set up.
        #expect(reasons["unknown prevout"] == nil)
        #expect(rows.count >= 60)
    }
}
