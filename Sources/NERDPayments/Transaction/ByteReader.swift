/// Bounds-checked little-endian reads over a byte array, for transaction parsing.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func read(_ count: Int) throws(PaymentsError) -> [UInt8] {
        guard count >= 0, count <= remaining else { throw .malformedTransaction("truncated at byte \(position)") }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func readUInt32() throws(PaymentsError) -> UInt32 {
        let b = try read(4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    mutating func readUInt64() throws(PaymentsError) -> UInt64 {
        let b = try read(8)
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[$1]) << (8 * UInt64($1)) }
    }

    /// Bitcoin's CompactSize (VarInt): 1, 3, 5 or 9 bytes.
    mutating func readVarInt() throws(PaymentsError) -> UInt64 {
        let first = try read(1)[0]
        let value: UInt64
        let minimum: UInt64
        switch first {
        case 0xfd: (value, minimum) = (UInt64(try read(2).reversed().reduce(0) { $0 << 8 | UInt16($1) }), 0xfd)
        case 0xfe: (value, minimum) = (UInt64(try readUInt32()), 0x1_0000)
        case 0xff: (value, minimum) = (try readUInt64(), 0x1_0000_0000)
        default: return UInt64(first)
        }
        // The node refuses a longer form than the value needs: the bytes would not re-serialise
        // to themselves, so txid and size would not match what was received.
        guard value >= minimum else { throw .malformedTransaction("non-canonical CompactSize at byte \(position)") }
        return value
    }

    /// A count that cannot exceed what the remaining bytes can hold at `minimumSize` each,
    /// so an absurd count fails before anything is allocated for it.
    mutating func readCount(minimumSize: Int, what: String) throws(PaymentsError) -> Int {
        let n = try readVarInt()
        guard n <= UInt64(remaining / max(minimumSize, 1)) else {
            throw .malformedTransaction("\(what) count \(n) exceeds what \(remaining) bytes can hold")
        }
        return Int(n)
    }
}

/// Little-endian writes for serialisation.
extension Array where Element == UInt8 {
    mutating func appendLE(_ value: UInt32) {
        append(contentsOf: [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)])
    }

    mutating func appendLE(_ value: UInt64) {
        for i in 0..<8 { append(UInt8(value >> (8 * UInt64(i)) & 0xff)) }
    }

    mutating func appendVarInt(_ value: Int) {
        switch value {
        case ..<0xfd: append(UInt8(value))
        case ...0xffff: append(contentsOf: [0xfd, UInt8(value & 0xff), UInt8(value >> 8)])
        case ...0xffff_ffff: append(0xfe); appendLE(UInt32(value))
        default: append(0xff); appendLE(UInt64(value))
        }
    }

    mutating func appendVarBytes(_ bytes: [UInt8]) {
        appendVarInt(bytes.count)
        append(contentsOf: bytes)
    }
}
