import NERDCrypto
import NERDWire
import Testing

@Suite struct MSEKeyExchangeTests {
    @Test func bothSidesAgreeOnTheSecret() throws {
        let a = MSEKeyExchange()
        let b = MSEKeyExchange()
        #expect(a.publicKey.count == 96 && b.publicKey.count == 96)
        #expect(a.publicKey != b.publicKey)
        let s1 = try a.sharedSecret(peerPublicKey: b.publicKey)
        let s2 = try b.sharedSecret(peerPublicKey: a.publicKey)
        #expect(s1 == s2)
        #expect(s1.count == 96)
    }

    /// 2^1 mod P = 2 and 2^2 mod P = 4: the exponentiation and the 96-byte padding.
    @Test func smallExponentsGiveKnownValues() throws {
        let one = MSEKeyExchange(privateKey: [UInt8](repeating: 0, count: 19) + [1])
        #expect(one.publicKey == [UInt8](repeating: 0, count: 95) + [2])
        let two = MSEKeyExchange(privateKey: [UInt8](repeating: 0, count: 19) + [2])
        // (2^1)^2 = 4 either way round.
        #expect(try one.sharedSecret(peerPublicKey: two.publicKey) == [UInt8](repeating: 0, count: 95) + [4])
    }

    @Test func degenerateOrMalformedPublicKeysAreRefused() {
        let keys = MSEKeyExchange()
        let zero = [UInt8](repeating: 0, count: 96)
        let one = [UInt8](repeating: 0, count: 95) + [1]
        var pMinusOne = MSEKeyExchange.prime
        pMinusOne[95] -= 1
        for bad in [zero, one, pMinusOne, MSEKeyExchange.prime, [UInt8](repeating: 0xFF, count: 96), [2]] {
            #expect(throws: WireError.self) { try keys.sharedSecret(peerPublicKey: bad) }
        }
        var pMinusTwo = MSEKeyExchange.prime
        pMinusTwo[95] -= 2
        #expect((try? keys.sharedSecret(peerPublicKey: pMinusTwo)) != nil)
    }
}
