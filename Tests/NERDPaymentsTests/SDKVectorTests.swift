import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// Transactions made with an independent SDK (bsv-sdk 2.4.0): NERD parses them to the same
/// txid, computes the same FORKID preimages and digests, and re-signing every input with the
/// same keys gives the same transaction byte for byte, on every secp256k1 backend.
@Suite struct SDKVectorTests {
    struct Vector {
        var name: String
        var json: [String: Any]
    }

    static func vectors() throws -> [Vector] {
        let index = try #require(SharedMaterial.json("vectors/bsv/index.json") as? [String: Any])
        let files = try #require(index["vectors"] as? [[String: Any]])
        return try files.map { entry in
            let file = entry["file"] as! String
            return Vector(name: file, json: try #require(SharedMaterial.json("vectors/bsv/" + file) as? [String: Any]))
        }
    }

    static func keys() throws -> [String: PrivateKey] {
        let keys = try #require(SharedMaterial.json("vectors/bsv/keys.json") as? [String: [String: String]])
        return try keys.mapValues { try PrivateKey(secret: Hex.decode($0["privkey_hex"]!)!) }
    }

    @Test func txidsAndDigests() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let vectors = try Self.vectors()
        #expect(vectors.count >= 10)
        for vector in vectors {
            let json = vector.json
            let tx = try Transaction(hex: json["tx"] as! String)
            #expect(tx.txid.hex == json["txid"] as! String, "\(vector.name)")
            #expect(tx.hex == json["tx"] as! String)
            #expect(tx.lockTime == UInt32(json["locktime"] as! Int))
            let prevouts = json["prevouts"] as! [[String: Any]]
            for (i, source) in (json["source_txs"] as! [String]).enumerated() {
                #expect(try Transaction(hex: source).txid.hex == prevouts[i]["txid"] as! String)
            }
            let hashes = SignatureHash(tx)
            for (i, input) in (json["inputs"] as! [[String: Any]]).enumerated() {
                let type = SighashType(rawValue: UInt32(input["sighash_type"] as! Int))
                let scriptCode = Hex.decode(input["scriptCode"] as! String)!
                let satoshis = UInt64(prevouts[i]["satoshis"] as! Int)
                let preimage = try hashes.forkIDPreimage(inputIndex: i, scriptCode: scriptCode, satoshis: satoshis, type: type)
                #expect(Hex.encode(preimage) == input["preimage"] as! String, "\(vector.name) input \(i)")
                let digest = try hashes.digest(inputIndex: i, scriptCode: scriptCode, satoshis: satoshis, type: type)
                #expect(Hex.encode(digest) == input["sighash"] as! String)
            }
        }
    }

    @Test(arguments: Secp256k1Backend.available) func reSigningGivesTheSameBytes(backend: Secp256k1Backend) throws {
        guard Prerequisite.sharedMaterial() else { return }
        let keys = try Self.keys()
        var signed = 0
        for vector in try Self.vectors() where vector.json["expect_valid"] as? Bool == true {
            let json = vector.json
            let original = try Transaction(hex: json["tx"] as! String)
            var tx = original
            let prevouts = json["prevouts"] as! [[String: Any]]
            for i in tx.inputs.indices { tx.inputs[i].unlockingScript = Script() }
            for (i, input) in (json["inputs"] as! [[String: Any]]).enumerated() {
                let type = SighashType(rawValue: UInt32(input["sighash_type"] as! Int))
                let lockingScript = try Script(hex: prevouts[i]["script"] as! String)
                let satoshis = UInt64(prevouts[i]["satoshis"] as! Int)
                let signers = try (input["signers"] as! [String]).map { try #require(keys[$0]) }
                if lockingScript.multisigTemplate != nil {
                    // Signatures are made on the unsigned transaction, as the SDK did.
                    let sigs = try signers.map {
                        try tx.signature(inputIndex: i, key: $0, scriptCode: lockingScript, satoshis: satoshis, type: type, backend: backend)
                    }
                    tx.inputs[i].unlockingScript = .multisigUnlocking(signatures: sigs)
                } else {
                    let sig = try tx.signature(inputIndex: i, key: signers[0], scriptCode: lockingScript, satoshis: satoshis, type: type, backend: backend)
                    tx.inputs[i].unlockingScript = .p2pkhUnlocking(signature: sig, publicKey: signers[0].publicKey(backend: backend))
                }
                signed += 1
            }
            #expect(tx.hex == original.hex, "\(vector.name)")
        }
        #expect(signed >= 10)
    }

    /// NERD's interpreter agrees with the SDK's verdict on every vector (standard flags).
    @Test func interpreterAgreesWithTheSDK() throws {
        guard Prerequisite.sharedMaterial() else { return }
        for vector in try Self.vectors() {
            let json = vector.json
            let tx = try Transaction(hex: json["tx"] as! String)
            let prevouts = json["prevouts"] as! [[String: Any]]
            var valid = true
            for i in tx.inputs.indices {
                let locking = try Script(hex: prevouts[i]["script"] as! String)
                let checker = TransactionSignatureChecker(transaction: tx, inputIndex: i, satoshis: UInt64(prevouts[i]["satoshis"] as! Int))
                do {
                    try ScriptInterpreter(flags: .standard, checker: checker).verify(unlockingScript: tx.inputs[i].unlockingScript, lockingScript: locking)
                } catch {
                    valid = false
                }
            }
            #expect(valid == (json["expect_valid"] as! Bool), "\(vector.name)")
        }
    }

    @Test func malformedTransactionsAreTypedErrors() throws {
        let good = try Transaction(hex: "0100000001" + String(repeating: "11", count: 32) + "00000000" + "00" + "ffffffff" + "01" + "0000000000000000" + "00" + "00000000")
        #expect(good.inputs.count == 1)
        let bytes = good.serialized
        for cut in 0..<bytes.count {
            #expect(throws: PaymentsError.self) { try Transaction(bytes: Array(bytes.prefix(cut))) }
        }
        #expect(throws: PaymentsError.self) { try Transaction(bytes: bytes + [0]) }
        // A count of 2^64-1 inputs: refused before any allocation.
        #expect(throws: PaymentsError.self) { try Transaction(bytes: [1, 0, 0, 0, 0xff] + [UInt8](repeating: 0xff, count: 8) + [0, 0, 0, 0]) }
        // A script length far past the end.
        #expect(throws: PaymentsError.self) {
            try Transaction(bytes: [1, 0, 0, 0, 1] + [UInt8](repeating: 0, count: 36) + [0xfe, 0xff, 0xff, 0xff, 0x7f])
        }
        #expect(throws: PaymentsError.self) { try Transaction(bytes: bytes, maxSize: 10) }
        #expect(throws: PaymentsError.self) { try Script([0x4d, 0xff]).chunks() }
        #expect(throws: PaymentsError.self) { try Script([0x05, 1, 2]).chunks() }
    }
}
