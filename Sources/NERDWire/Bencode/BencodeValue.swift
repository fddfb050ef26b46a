/// A bencoded value (BEP 3): integer, byte string, list or dictionary.
///
/// Values produced by ``BencodeDecoder`` remember where they came from: ``byteRange`` is the
/// exact range of input bytes the value was decoded from, so hashes such as the info-hash are
/// taken over the bytes as received, never over a re-encoding. Values built in code have no
/// range. Equality compares content only.
public struct BencodeValue: Sendable, Equatable, CustomStringConvertible {
    /// One dictionary entry; dictionaries keep their entries in input order.
    public struct Entry: Sendable, Equatable {
        public var key: [UInt8]
        public var value: BencodeValue
        public init(key: [UInt8], value: BencodeValue) {
            self.key = key
            self.value = value
        }
    }

    public enum Content: Sendable, Equatable {
        case integer(Int64)
        case string([UInt8])
        case list([BencodeValue])
        case dictionary([Entry])
    }

    public var content: Content
    /// The input bytes this value was decoded from; `nil` for values built in code.
    public var byteRange: Range<Int>?

    public init(_ content: Content, byteRange: Range<Int>? = nil) {
        self.content = content
        self.byteRange = byteRange
    }

    public static func == (lhs: BencodeValue, rhs: BencodeValue) -> Bool { lhs.content == rhs.content }

    // MARK: Building

    public static func integer(_ value: Int64) -> BencodeValue { BencodeValue(.integer(value)) }
    public static func integer(_ value: Int) -> BencodeValue { BencodeValue(.integer(Int64(value))) }
    public static func string(_ bytes: [UInt8]) -> BencodeValue { BencodeValue(.string(bytes)) }
    public static func string(_ text: String) -> BencodeValue { BencodeValue(.string(Array(text.utf8))) }
    public static func list(_ items: [BencodeValue]) -> BencodeValue { BencodeValue(.list(items)) }
    /// A dictionary from key/value pairs; the encoder sorts keys, so order here does not matter.
    public static func dictionary(_ pairs: [(String, BencodeValue)]) -> BencodeValue {
        BencodeValue(.dictionary(pairs.map { Entry(key: Array($0.0.utf8), value: $0.1) }))
    }

    // MARK: Reading

    public var integer: Int64? {
        if case .integer(let v) = content { return v }
        return nil
    }

    public var bytes: [UInt8]? {
        if case .string(let v) = content { return v }
        return nil
    }

    /// The byte string decoded as UTF-8, `nil` if it is not a string or not valid UTF-8.
    public var utf8String: String? {
        guard let bytes else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    public var list: [BencodeValue]? {
        if case .list(let v) = content { return v }
        return nil
    }

    public var entries: [Entry]? {
        if case .dictionary(let v) = content { return v }
        return nil
    }

    public var isDictionary: Bool { entries != nil }

    /// Looks a key up in a dictionary; `nil` if this is not a dictionary or the key is absent.
    public subscript(key: String) -> BencodeValue? {
        guard let entries else { return nil }
        let k = Array(key.utf8)
        return entries.first { $0.key == k }?.value
    }

    public var description: String {
        switch content {
        case .integer(let v): return "\(v)"
        case .string(let b): return String(validating: b, as: UTF8.self).map { "\"\($0)\"" } ?? "<\(b.count) bytes>"
        case .list(let l): return "[" + l.map(\.description).joined(separator: ", ") + "]"
        case .dictionary(let d):
            return "{" + d.map { "\(String(decoding: $0.key, as: UTF8.self)): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }
}
