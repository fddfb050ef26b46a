import NERDCrypto
import NERDWire
import Testing

/// RC4 against the key-stream vectors of RFC 6229 (section 2): the cipher applied to zeros
/// yields the key stream at each listed offset.
@Suite struct RC4Tests {
    static let offsets = [0, 16, 240, 256, 496, 512, 752, 768, 1008, 1024, 1520, 1536, 2032, 2048, 3056, 3072, 4080, 4096]

    /// RFC 6229, key length 40 bits, key 0x0102030405.
    static let key40: [String] = [
        "b2396305f03dc027ccc3524a0a1118a8", "6982944f18fc82d589c403a47a0d0919", "28cb1132c96ce286421dcaadb8b69eae",
        "1cfcf62b03eddb641d77dfcf7f8d8c93", "42b7d0cdd918a8a33dd51781c81f4041", "6459844432a7da923cfb3eb4980661f6",
        "ec10327bde2beefd18f9277680457e22", "eb62638d4f0ba1fe9fca20e05bf8ff2b", "45129048e6a0ed0b56b490338f078da5",
        "30abbcc7c20b01609f23ee2d5f6bb7df", "3294f744d8f9790507e70f62e5bbceea", "d8729db41882259bee4f825325f5a130",
        "1eb14a0c13b3bf47fa2a0ba93ad45b8b", "cc582f8ba9f265e2b1be9112e975d2d7", "f2e30f9bd102ecbf75aaade9bc35c43c",
        "ec0e11c479dc329dc8da7968fe965681", "068326a2118416d21f9d04b2cd1ca050", "ff25b58995996707e51fbdf08b34d875",
    ]

    /// RFC 6229, key length 128 bits, key 0x0102030405060708090a0b0c0d0e0f10.
    static let key128: [String] = [
        "9ac7cc9a609d1ef7b2932899cde41b97", "5248c4959014126a6e8a84f11d1a9e1c", "065902e4b620f6cc36c8589f66432f2b",
        "d39d566bc6bce3010768151549f3873f", "b6d1e6c4a5e4771cad79538df295fb11", "c68c1d5c559a974123df1dbc52a43b89",
        "c5ecf88de897fd57fed301701b82a259", "eccbe13de1fcc91c11a0b26c0bc8fa4d", "e7a72574f8782ae26aabcf9ebcd66065",
        "bdf0324e6083dcc6d3cedd3ca8c53c16", "b40110c4190b5622a96116b0017ed297", "ffa0b514647ec04f6306b892ae661181",
        "d03d1bc03cd33d70dff9fa5d71963ebd", "8a44126411eaa78bd51e8d87a8879bf5", "fabeb76028ade2d0e48722e46c4615a3",
        "c05d88abd50357f935a63c59ee537623", "ff38265c1642c1abe8d3c2fe5e572bf8", "a36a4c301ae8ac13610ccbc12256cacc",
    ]

    @Test(arguments: [("0102030405", key40), ("0102030405060708090a0b0c0d0e0f10", key128)])
    func keyStreamMatchesRFC6229(key: String, expected: [String]) {
        var rc4 = RC4(key: Hex.decode(key)!)
        var stream = [UInt8](repeating: 0, count: 4112)
        rc4.process(&stream)
        for (offset, hex) in zip(Self.offsets, expected) {
            #expect(Hex.encode(stream[offset..<offset + 16]) == hex, "offset \(offset)")
        }
    }

    /// The stream does not depend on how the input is split, and decrypting undoes encrypting.
    @Test func chunkingDoesNotChangeTheStreamAndDecryptionInverts() {
        let key = Array("MSE key".utf8)
        let plain = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = RC4(key: key)
        let once = whole.processed(plain)
        var pieces = RC4(key: key)
        var chunked: [UInt8] = []
        var offset = 0
        for size in [1, 7, 1024, 3, 5000] + Array(repeating: 997, count: 10) where offset < plain.count {
            let end = min(plain.count, offset + size)
            chunked += pieces.processed(Array(plain[offset..<end]))
            offset = end
        }
        #expect(chunked == once)
        var decrypt = RC4(key: key)
        #expect(decrypt.processed(once) == plain)
    }

    @Test func discardSkipsKeyStream() {
        var skipped = RC4(key: Hex.decode("0102030405")!)
        skipped.discard(1024)
        #expect(Hex.encode(skipped.processed([UInt8](repeating: 0, count: 16))) == Self.key40[9])
    }
}
