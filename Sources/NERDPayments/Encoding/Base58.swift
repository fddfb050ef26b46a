import NERDCrypto

/// Base58 and Base58Check with Bitcoin's alphabet, as used by addresses, WIF keys and BIP 32
/// extended keys.
public enum Base58 {
    private static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)
    private static let indexes: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// Longest string `decode` accepts: keys and addresses are under 120 characters, and the
    /// quadratic algorithm makes unbounded input a denial of service.
    public static let maxEncodedLength = 1024

    /// Encodes bytes; each leading zero byte becomes a leading "1".
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        let zeros = bytes.prefix { $0 == 0 }.count
        var digits: [UInt8] = []  // base-58 digits, least significant first
        digits.reserveCapacity(bytes.count * 138 / 100 + 1)
        for byte in bytes[zeros...] {
            var carry = Int(byte)
            for i in digits.indices {
                carry += Int(digits[i]) << 8
                digits[i] = UInt8(carry % 58)
                carry /= 58
            }
            while carry > 0 {
                digits.append(UInt8(carry % 58))
                carry /= 58
            }
        }
        let text = [UInt8](repeating: alphabet[0], count: zeros) + digits.reversed().map { alphabet[Int($0)] }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes a Base58 string (no whitespace allowed).
    ///
    /// - Throws: `PaymentsError.invalidBase58` for a character outside the alphabet or a string
    ///   longer than `maxEncodedLength`.
    public static func decode(_ text: String) throws(PaymentsError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count <= maxEncodedLength else { throw .invalidBase58("longer than \(maxEncodedLength) characters") }
        let ones = chars.prefix { $0 == alphabet[0] }.count
        var bytes: [UInt8] = []  // least significant first
        for c in chars[ones...] {
            let value = indexes[Int(c)]
            guard value >= 0 else { throw .invalidBase58("\(c < 0x80 ? "'\(Character(UnicodeScalar(c)))'" : "a non-ASCII character") is not a Base58 character") }
            var carry = Int(value)
            for i in bytes.indices {
                carry += Int(bytes[i]) * 58
                bytes[i] = UInt8(carry & 0xff)
                carry >>= 8
            }
            while carry > 0 {
                bytes.append(UInt8(carry & 0xff))
                carry >>= 8
            }
        }
        return [UInt8](repeating: 0, count: ones) + bytes.reversed()
    }

    /// payload ‖ first 4 bytes of SHA-256d(payload), Base58-encoded.
    public static func checkEncode(_ payload: some Collection<UInt8>) -> String {
        let payload = Array(payload)
        return encode(payload + SHA256.doubleHash(payload).prefix(4))
    }

    /// Decodes Base58Check and returns the payload without its checksum.
    ///
    /// - Throws: `PaymentsError.invalidBase58`, or `.badChecksum` when the checksum is wrong
    ///   or the string is shorter than one.
    public static func checkDecode(_ text: String) throws(PaymentsError) -> [UInt8] {
        let bytes = try decode(text)
        guard bytes.count >= 4 else { throw .badChecksum }
        let payload = Array(bytes.dropLast(4))
        guard SHA256.doubleHash(payload).prefix(4).elementsEqual(bytes.suffix(4)) else { throw .badChecksum }
        return payload
    }
}
