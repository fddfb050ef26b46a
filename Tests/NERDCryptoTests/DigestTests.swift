import NERDCrypto
import Testing

/// Published vectors: FIPS 180-2 appendix examples (SHA-1, SHA-256, SHA-512) and the
/// RIPEMD-160 paper's table (Dobbertin, Bosselaers, Preneel).
@Suite struct DigestTests {
    static let millionA = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    static let twoBlock = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)

    @Test func sha1Vectors() {
        #expect(Hex.encode(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(Hex.encode(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(Hex.encode(SHA1.hash(Self.twoBlock)) == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(Hex.encode(SHA1.hash(Self.millionA)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func sha256Vectors() {
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8)))
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash([UInt8]()))
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash(Self.twoBlock))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Hex.encode(SHA256.hash(Self.millionA))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func sha512Vector() {
        #expect(Hex.encode(SHA512.hash(Array("abc".utf8)))
            == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    }

    @Test(arguments: [
        ("", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
        ("a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
        ("abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
        ("message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
        ("abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
        (String(repeating: "1234567890", count: 8), "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
    ])
    func ripemd160Vectors(input: String, expected: String) {
        #expect(Hex.encode(RIPEMD160.hash(Array(input.utf8))) == expected)
    }

    @Test func ripemd160MillionA() {
        #expect(Hex.encode(RIPEMD160.hash(Self.millionA)) == "52783243c1697bdbe16d37f97f68f08325dc1528")
    }

    @Test func hash160IsRipemdOfSha256() {
        // HASH160 of the empty string, a value every Bitcoin library documents.
        #expect(Hex.encode(Hash160.hash([UInt8]())) == "b472a266d0bd89c13706a4132ccfb16f7c3b9fcb")
        let data = Array("nerd".utf8)
        #expect(Hash160.hash(data) == RIPEMD160.hash(SHA256.hash(data)))
    }

    @Test(arguments: DigestAlgorithm.allCases)
    func streamingMatchesOneShot(algorithm: DigestAlgorithm) {
        let data = (0..<100_003).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var hasher = StreamingDigest(algorithm)
        var offset = 0
        for size in [0, 1, 63, 64, 65, 16384, 7] + Array(repeating: 9973, count: 100) where offset < data.count {
            let end = min(data.count, offset + size)
            hasher.update(data[offset..<end])
            offset = end
        }
        hasher.update(data[offset...])
        let streamed = hasher.finalize()
        #expect(streamed == digest(algorithm, data))
        #expect(streamed.count == algorithm.outputSize)
    }

    @Test func hexRoundTripAndRejects() {
        #expect(Hex.decode("00ffAb") == [0, 255, 0xab])
        #expect(Hex.encode([0, 255, 0xab]) == "00ffab")
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
