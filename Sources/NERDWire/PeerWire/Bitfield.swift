/// Which pieces a peer has (BEP 3): one bit per piece, high bit of the first byte is piece 0.
public struct Bitfield: Sendable, Hashable {
    public private(set) var bytes: [UInt8]
    /// Number of pieces described.
    public let count: Int
    /// Number of bits set.
    public private(set) var setCount: Int

    /// All clear (`full: false`) or all set.
    public init(count: Int, full: Bool = false) {
        self.count = count
        bytes = [UInt8](repeating: full ? 0xFF : 0, count: (count + 7) / 8)
        setCount = full ? count : 0
        if full, count % 8 != 0 { bytes[bytes.count - 1] = UInt8(0xFF) << (8 - count % 8) }
    }

    /// Validates a received bitfield.
    /// - Throws: ``WireError`` `.invalidMessage` if the size is wrong for `pieceCount` or a
    ///   spare bit past the last piece is set.
    public init(wire: some Collection<UInt8>, pieceCount: Int) throws(WireError) {
        let b = Array(wire)
        guard b.count == (pieceCount + 7) / 8 else {
            throw WireError(.invalidMessage, "bitfield of \(b.count) bytes for \(pieceCount) pieces")
        }
        if pieceCount % 8 != 0, let last = b.last, last & (0xFF >> (pieceCount % 8)) != 0 {
            throw WireError(.invalidMessage, "bitfield has spare bits set")
        }
        bytes = b
        count = pieceCount
        setCount = b.reduce(0) { $0 + $1.nonzeroBitCount }
    }

    public subscript(index: Int) -> Bool {
        get { bytes[index >> 3] & (0x80 >> UInt8(index & 7)) != 0 }
        set {
            let mask = UInt8(0x80) >> UInt8(index & 7)
            let was = bytes[index >> 3] & mask != 0
            guard was != newValue else { return }
            if newValue { bytes[index >> 3] |= mask } else { bytes[index >> 3] &= ~mask }
            setCount += newValue ? 1 : -1
        }
    }

    public var isComplete: Bool { setCount == count }
    public var isEmpty: Bool { setCount == 0 }

    /// Indices of set bits, ascending.
    public var setIndices: [Int] { (0..<count).filter { self[$0] } }
}
