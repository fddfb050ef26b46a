import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// The node's Base58 vectors (raw, valid keys and addresses, invalid strings) and the shared
/// key vectors' WIF and address forms.
@Suite struct Base58Tests {
    @Test func rawEncodeDecode() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let rows = try #require(SharedMaterial.json("vectors/bsv/upstream/base58_encode_decode.json") as? [[String]])
        for row in rows where row.count == 2 {
            #expect(Base58.encode(Hex.decode(row[0])!) == row[1])
            #expect(try Hex.encode(Base58.decode(row[1])) == row[0])
        }
        #expect(throws: PaymentsError.self) { try Base58.decode("0OIl") }
        #expect(throws: PaymentsError.self) { try Base58.decode(String(repeating: "1", count: 5000)) }
    }

    @Test func validKeysAndAddresses() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let rows = try #require(SharedMaterial.json("vectors/bsv/upstream/base58_keys_valid.json") as? [[Any]])
        var checked = 0
        for row in rows where row.count == 3 {
            let text = row[0] as! String
            let payload = row[1] as! String
            let meta = row[2] as! [String: Any]
            let network: Network = (meta["isTestnet"] as? Bool ?? false) ? .testnet : .mainnet
            if meta["isPrivkey"] as? Bool == true {
                let wif = try WIF(text)
                #expect(Hex.encode(wif.privateKey.secret) == payload)
                #expect(wif.network == network)
                #expect(wif.compressed == (meta["isCompressed"] as? Bool ?? false))
                #expect(wif.string == text)
            } else if meta["addrType"] as? String == "pubkey" {
                let address = try Address(text)
                #expect(Hex.encode(address.publicKeyHash) == payload)
                #expect(address.network == network)
                #expect(address.string == text)
            } else {
                // P2SH: recognised and refused, BSV cannot pay to it.
                #expect(throws: PaymentsError.self) { try Address(text) }
            }
            checked += 1
        }
        #expect(checked > 30)
    }

    @Test func invalidStringsAreRefused() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let rows = try #require(SharedMaterial.json("vectors/bsv/upstream/base58_keys_invalid.json") as? [[String]])
        for row in rows {
            #expect((try? Address(row[0])) == nil, "\(row[0])")
            #expect((try? WIF(row[0])) == nil, "\(row[0])")
        }
    }

    @Test func sharedKeyForms() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let keys = try #require(SharedMaterial.json("vectors/bsv/keys.json") as? [String: [String: String]])
        for (_, key) in keys {
            let priv = try PrivateKey(secret: Hex.decode(key["privkey_hex"]!)!)
            #expect(WIF(privateKey: priv).string == key["wif_mainnet_compressed"])
            #expect(WIF(privateKey: priv, network: .testnet).string == key["wif_testnet_compressed"])
            #expect(WIF(privateKey: priv, compressed: false).string == key["wif_mainnet_uncompressed"])
            let wif = try WIF(key["wif_testnet_compressed"]!)
            #expect(wif.address.string == key["address_testnet"])
            #expect(try WIF(key["wif_mainnet_compressed"]!).address.string == key["address_mainnet"])
            #expect(try Address(key["address_mainnet"]!).lockingScript.hex == key["p2pkh_script"])
        }
    }
}
