import Foundation
import NERDCrypto
import NERDTestSupport
import Testing

/// secp256k1 keys and ECDSA on every backend this build has: the shared key vectors, RFC 6979
/// nonces, identical bytes across backends, strict DER, and tweaks.
@Suite struct Secp256k1Tests {
    static let backends = Secp256k1Backend.available

    @Test(arguments: backends) func sharedKeyVectors(backend: Secp256k1Backend) throws {
        guard Prerequisite.sharedMaterial() else { return }
        let keys = try #require(SharedMaterial.json("vectors/bsv/keys.json") as? [String: [String: String]])
        #expect(keys.count >= 4)
        for (name, key) in keys {
            let secret = try #require(Hex.decode(key["privkey_hex"] ?? ""))
            let priv = try PrivateKey(secret: secret)
            #expect(Hex.encode(priv.publicKey(compressed: true, backend: backend).bytes) == key["pubkey_compressed"], "\(name)")
            #expect(Hex.encode(priv.publicKey(compressed: false, backend: backend).bytes) == key["pubkey_uncompressed"], "\(name)")
            let pub = try PublicKey(bytes: Hex.decode(key["pubkey_compressed"]!)!, backend: backend)
            #expect(Hex.encode(pub.uncompressed.bytes) == key["pubkey_uncompressed"])
        }
    }

    /// Private key 1 signing SHA-256("Satoshi Nakamoto"): the RFC 6979 vector every
    /// Bitcoin library publishes.
    @Test(arguments: backends) func rfc6979KnownSignature(backend: Secp256k1Backend) throws {
        let one = try PrivateKey(secret: [UInt8](repeating: 0, count: 31) + [1])
        let digest = SHA256.hash(Array("Satoshi Nakamoto".utf8))
        #expect(Hex.encode(RFC6979.nonces(secret: one.secret, digest: digest)[0])
            == "8f8a276c19f4149656b280621e358cce24f5f52542772691ee69063b74f15d15")
        let signature = try one.sign(digest: digest, backend: backend)
        #expect(Hex.encode(signature.derEncoded) == "3045022100934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d802202442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5")
        #expect(one.publicKey(backend: backend).verify(signature: signature, digest: digest, backend: backend))
    }

    @Test func backendsAgreeByteForByte() throws {
        let backends = Self.backends
        guard backends.count > 1 else {
            _ = Prerequisite.check(false, "libsecp256k1 backend (build with --traits Secp256k1)")
            return
        }
        for i in 0..<200 {
            let key = try PrivateKey(secret: SHA256.hash(Array("key \(i)".utf8)))
            let digest = SHA256.hash(Array("message \(i)".utf8))
            let signatures = try backends.map { try key.sign(digest: digest, backend: $0) }
            #expect(Set(signatures).count == 1, "signature \(i)")
            #expect(signatures[0].isLowS)
            let pubs = backends.map { key.publicKey(compressed: i % 2 == 0, backend: $0) }
            #expect(Set(pubs).count == 1)
            for verifier in backends {
                #expect(pubs[0].verify(signature: signatures[0], digest: digest, backend: verifier))
                var wrong = digest
                wrong[0] ^= 1
                #expect(!pubs[0].verify(signature: signatures[0], digest: wrong, backend: verifier))
            }
            let tweak = SHA256.hash(Array("tweak \(i)".utf8))
            let childSecrets = try backends.map { try key.adding(tweak: tweak, backend: $0) }
            #expect(Set(childSecrets.map(\.secret)).count == 1)
            let childPubs = try backends.map { try pubs[0].adding(tweak: tweak, backend: $0) }
            #expect(Set(childPubs).count == 1)
            #expect(childPubs[0] == childSecrets[0].publicKey(compressed: true))
        }
    }

    @Test(arguments: backends) func highSVerifiesAndNormalises(backend: Secp256k1Backend) throws {
        let key = PrivateKey.generate()
        let digest = SHA256.hash(Array("high s".utf8))
        let low = try key.sign(digest: digest, backend: backend)
        let order = try #require(Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"))
        let high = try ECDSASignature(r: low.r, s: subtract(order, low.s))
        #expect(!high.isLowS)
        #expect(high.normalized == low)
        #expect(key.publicKey().verify(signature: high, digest: digest, backend: backend))
    }

    @Test func invalidKeysAreRefused() {
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try PrivateKey(secret: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try PrivateKey(secret: [UInt8](repeating: 0xff, count: 32)) }
        #expect(throws: Secp256k1Error.invalidPrivateKey) { try PrivateKey(secret: [1, 2, 3]) }
        for backend in Self.backends {
            #expect(throws: Secp256k1Error.invalidPublicKey) { try PublicKey(bytes: [0x02] + [UInt8](repeating: 0xff, count: 32), backend: backend) }
            #expect(throws: Secp256k1Error.invalidPublicKey) { try PublicKey(bytes: [0x05] + [UInt8](repeating: 1, count: 32), backend: backend) }
            #expect(throws: Secp256k1Error.invalidPublicKey) { try PublicKey(bytes: [], backend: backend) }
        }
    }

    @Test func derEncodingRules() throws {
        let sig = try ECDSASignature(r: [0x80] + [UInt8](repeating: 0, count: 31), s: [UInt8](repeating: 0, count: 31) + [1])
        let der = sig.derEncoded
        #expect(Hex.encode(der) == "3026022100" + "80" + String(repeating: "00", count: 31) + "020101")
        #expect(try ECDSASignature(derEncoded: der) == sig)
        #expect(ECDSASignature.parseLaxDER(der) == sig)
        // Excess padding, negative integers, wrong lengths: strict DER refuses them all.
        for bad in ["3007020101020101", "300702020001020101", "3006020181020101", "30060201010201", "3106020101020101", ""] {
            #expect(!ECDSASignature.isStrictDER(Hex.decode(bad)!), "\(bad)")
        }
        // A pre-BIP 66 signature with zero padding still parses laxly.
        #expect(ECDSASignature.parseLaxDER(Hex.decode("300702020001020101")!) != nil)
    }

    /// Wycheproof's ECDSA secp256k1 SHA-256 "bitcoin" file: a signature is valid only when it is
    /// strict DER, low-S and verifies.
    @Test(arguments: backends) func wycheproofBitcoinVariant(backend: Secp256k1Backend) throws {
        guard Prerequisite.sharedMaterial() else { return }
        let file = try #require(SharedMaterial.json("vectors/bsv/upstream/wycheproof_ecdsa_secp256k1_sha256_bitcoin_test.json") as? [String: Any])
        let groups = try #require(file["testGroups"] as? [[String: Any]])
        var ran = 0
        for group in groups {
            let keyHex = try #require((group["publicKey"] as? [String: Any])?["uncompressed"] as? String)
            let key = try PublicKey(bytes: Hex.decode(keyHex)!, backend: backend)
            for test in try #require(group["tests"] as? [[String: Any]]) {
                let digest = SHA256.hash(Hex.decode(test["msg"] as! String)!)
                let der = Hex.decode(test["sig"] as! String)!
                var accepted = false
                if let sig = try? ECDSASignature(derEncoded: der), sig.isLowS {
                    accepted = key.verify(signature: sig, digest: digest, backend: backend)
                }
                #expect(accepted == (test["result"] as? String == "valid"), "tcId \(test["tcId"] ?? "?")")
                ran += 1
            }
        }
        #expect(ran == 463)
        print("wycheproof (\(backend)): \(ran) ran, all agree")
    }

    private func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            let d = Int(a[i]) - Int(b[i]) - borrow
            borrow = d < 0 ? 1 : 0
            out[i] = UInt8((d + 256) % 256)
        }
        return out
    }
}
