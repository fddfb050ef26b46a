import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// The node's `sighash.json`: 1000 random transactions, both digests per row.
@Suite struct SighashTests {
    @Test func upstreamSighashVectors() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let rows = try #require(SharedMaterial.json("vectors/bsv/upstream/sighash.json") as? [[Any]])
        var ran = 0
        for row in rows where row.count == 6 {
            let tx = try Transaction(hex: row[0] as! String)
            #expect(tx.hex == row[0] as! String)
            let scriptCode = try #require(Hex.decode(row[1] as! String))
            let index = row[2] as! Int
            let type = SighashType(rawValue: UInt32(bitPattern: Int32(truncatingIfNeeded: row[3] as! Int)))
            let hashes = SignatureHash(tx)
            let regular = try hashes.digest(inputIndex: index, scriptCode: scriptCode, satoshis: 0, type: type)
            let original = hashes.original(inputIndex: index, scriptCode: scriptCode, type: type)
            #expect(Hex.encode(regular.reversed()) == row[4] as! String, "row \(ran) regular")
            #expect(Hex.encode(original.reversed()) == row[5] as! String, "row \(ran) original")
            ran += 1
        }
        print("sighash.json: \(ran) rows ran, \(ran) passed (both digests), 0 out of scope")
        #expect(ran == 1000)
    }
}
