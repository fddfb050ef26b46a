import BigInt
import Foundation

/// Script numbers: little-endian sign-magnitude byte strings (the top bit of the last byte
/// is the sign), of any length after Genesis, at most 4 bytes as operands before it.
public enum ScriptNumber {
    /// Decodes a stack element as a number.
    ///
    /// - Throws: `.scriptNumOverflow` when longer than `maxLength`, `.scriptNumMinimalEncoding`
    ///   when `requireMinimal` and the encoding has excess bytes.
    static func decode(_ bytes: [UInt8], requireMinimal: Bool, maxLength: Int) throws(ScriptError) -> BigInt {
        guard bytes.count <= maxLength else { throw .scriptNumOverflow }
        if requireMinimal && !isMinimallyEncoded(bytes) { throw .scriptNumMinimalEncoding }
        guard let last = bytes.last else { return 0 }
        if bytes.count <= 8 {
            // Fast path: fits in 63 bits of magnitude plus sign.
            var magnitude: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                let byte = i == bytes.count - 1 ? b & 0x7f : b
                magnitude |= UInt64(byte) << (8 * UInt64(i))
            }
            let value = BigInt(magnitude)
            return last & 0x80 != 0 ? -value : value
        }
        var be = Array(bytes.reversed())
        be[0] &= 0x7f
        let value = BigInt(BigUInt(Data(be)))
        return last & 0x80 != 0 ? -value : value
    }

    static func encode(_ value: BigInt) -> [UInt8] {
        if value.isZero { return [] }
        let negative = value.sign == .minus
        var out: [UInt8]
        if let small = UInt64(exactly: value.magnitude) {
            out = []
            var m = small
            while m > 0 { out.append(UInt8(m & 0xff)); m >>= 8 }
        } else {
            out = Array(value.magnitude.serialize().reversed())
        }
        if out[out.count - 1] & 0x80 != 0 {
            out.append(negative ? 0x80 : 0)
        } else if negative {
            out[out.count - 1] |= 0x80
        }
        return out
    }

    public static func encode(_ value: Int) -> [UInt8] { encode(BigInt(value)) }

    /// No trailing zero byte unless it carries the sign bit.
    static func isMinimallyEncoded(_ bytes: [UInt8]) -> Bool {
        guard let last = bytes.last else { return true }
        if last & 0x7f == 0 {
            if bytes.count <= 1 || bytes[bytes.count - 2] & 0x80 == 0 { return false }
        }
        return true
    }

    /// The shortest encoding of the same number (what OP_BIN2NUM and OP_NUM2BIN start from).
    static func minimallyEncoded(_ bytes: [UInt8]) -> [UInt8] {
        guard let last = bytes.last else { return [] }
        var out = bytes
        let sign = last & 0x80
        out[out.count - 1] &= 0x7f
        while let tail = out.last, tail == 0 { out.removeLast() }
        guard !out.isEmpty else { return [] }
        if out[out.count - 1] & 0x80 != 0 {
            out.append(sign)
        } else {
            out[out.count - 1] |= sign
        }
        return out
    }

    /// Script truth: any non-zero byte, except a lone sign bit in the last byte (negative zero).
    static func isTrue(_ bytes: [UInt8]) -> Bool {
        for (i, b) in bytes.enumerated() where b != 0 {
            return !(i == bytes.count - 1 && b == 0x80)
        }
        return false
    }
}
