/// The RC4 stream cipher (Rivest 1987; test vectors RFC 6229), as Message Stream Encryption
/// uses it to obfuscate BitTorrent connections. RC4 is broken as a cipher; MSE uses it only to
/// hide the protocol from traffic shaping, and OpenSSL 3 keeps it in its legacy provider only,
/// hence this implementation.
///
/// Encryption and decryption are the same operation: XOR with the key stream. The state
/// advances with every byte processed, so one value serves one direction of one connection.
public struct RC4: Sendable {
    /// The permutation S of 0...255.
    private var state: [UInt8]
    private var i: UInt8 = 0
    private var j: UInt8 = 0

    /// Runs the key schedule.
    /// - Parameter key: 1 to 256 bytes (MSE uses 20-byte SHA-1 digests).
    public init(key: [UInt8]) {
        precondition(!key.isEmpty && key.count <= 256, "RC4 keys are 1 to 256 bytes")
        var s = [UInt8](repeating: 0, count: 256)
        for index in 0..<256 { s[index] = UInt8(index) }
        var j: UInt8 = 0
        for index in 0..<256 {
            j = j &+ s[index] &+ key[index % key.count]
            s.swapAt(index, Int(j))
        }
        state = s
    }

    /// XORs `buffer` with the next `buffer.count` bytes of the key stream, in place.
    public mutating func process(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let count = buffer.count
        var i = self.i
        var j = self.j
        // One exclusive access to the state for the whole buffer: no per-byte checks or copies.
        state.withUnsafeMutableBufferPointer { s in
            let s = s.baseAddress!
            for index in 0..<count {
                i &+= 1
                let si = s[Int(i)]
                j &+= si
                let sj = s[Int(j)]
                s[Int(i)] = sj
                s[Int(j)] = si
                bytes[index] ^= s[Int(si &+ sj)]
            }
        }
        self.i = i
        self.j = j
    }

    /// XORs `bytes` with the key stream, in place.
    public mutating func process(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { process($0) }
    }

    /// - Returns: `bytes` XORed with the key stream.
    public mutating func processed(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        process(&copy)
        return copy
    }

    /// Advances the key stream by `count` bytes without using them (MSE drops the first 1024).
    public mutating func discard(_ count: Int) {
        var scratch = [UInt8](repeating: 0, count: count)
        process(&scratch)
    }
}
