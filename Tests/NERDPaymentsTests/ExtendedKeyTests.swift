import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// BIP 32 test vectors (from the node's tests): every step's xprv and xpub, by private
/// derivation and, for normal steps, by public derivation too.
@Suite struct ExtendedKeyTests {
    @Test func bip32Vectors() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let file = try #require(SharedMaterial.json("vectors/bsv/upstream/bip32_vectors.json") as? [String: Any])
        let vectors = try #require(file["vectors"] as? [[String: Any]])
        var steps = 0
        for vector in vectors {
            let chain = try #require(vector["chain"] as? [[String: Any]])
            var key = try ExtendedKey(seed: Hex.decode(vector["seed_hex"] as! String)!)
            for (k, step) in chain.enumerated() {
                #expect(key.string == step["xprv"] as! String, "\(vector["name"]!) step \(k)")
                #expect(key.neutered.string == step["xpub"] as! String)
                #expect(try ExtendedKey(step["xprv"] as! String) == key)
                #expect(try ExtendedKey(step["xpub"] as! String) == key.neutered)
                steps += 1
                guard k + 1 < chain.count else { break }
                let index = UInt32(step["next_child_index"] as! Int)
                let child = try key.child(index)
                if index < ExtendedKey.hardenedOffset {
                    #expect(try key.neutered.child(index) == child.neutered)
                } else {
                    #expect(throws: PaymentsError.self) { try key.neutered.child(index) }
                }
                key = child
            }
        }
        print("bip32_vectors.json: \(steps) keys checked")
        #expect(steps >= 12)
    }

    @Test func pathsAndBadInput() throws {
        let master = try ExtendedKey(seed: Hex.decode("000102030405060708090a0b0c0d0e0f")!)
        #expect(try master.derive(path: "m/0'/1").string == master.child(0x8000_0000).child(1).string)
        #expect(try master.derive(path: "m/0h/1") == master.derive(path: "0'/1"))
        #expect(throws: PaymentsError.self) { try master.derive(path: "m/x") }
        #expect(throws: PaymentsError.self) { try ExtendedKey(seed: [1, 2, 3]) }
        #expect(throws: PaymentsError.self) { try ExtendedKey("xprv123") }
    }
}
