import NERDCrypto
import Testing

@Suite struct SecureRandomTests {
    @Test func returnsRequestedLengthAndDiffers() {
        #expect(SecureRandom.bytes(count: 0).isEmpty)
        let a = SecureRandom.bytes(count: 32)
        let b = SecureRandom.bytes(count: 32)
        #expect(a.count == 32)
        #expect(a != b)
    }

    @Test func bytesAreNotStuck() {
        // 64 KiB of CSPRNG output uses every byte value; a stuck or zeroed source would not.
        let sample = SecureRandom.bytes(count: 65536)
        #expect(Set(sample).count == 256)
    }
}
