/// Canonical bencode encoding (BEP 3): integers in shortest form, dictionary keys in sorted
/// byte order. A dictionary with duplicate keys cannot be encoded canonically and is an error.
public enum BencodeEncoder {
    /// - Returns: the canonical encoding of `value`.
    /// - Throws: ``WireError`` `.invalidBencode` if a dictionary holds the same key twice.
    public static func encode(_ value: BencodeValue) throws(WireError) -> [UInt8] {
        var out = [UInt8]()
        try append(value, to: &out)
        return out
    }

    /// Appends the canonical encoding of `value` to `out`.
    /// - Throws: ``WireError`` `.invalidBencode` if a dictionary holds the same key twice.
    public static func append(_ value: BencodeValue, to out: inout [UInt8]) throws(WireError) {
        switch value.content {
        case .integer(let v):
            out.append(UInt8(ascii: "i"))
            out.append(contentsOf: String(v).utf8)
            out.append(UInt8(ascii: "e"))
        case .string(let bytes):
            appendString(bytes, to: &out)
        case .list(let items):
            out.append(UInt8(ascii: "l"))
            for item in items { try append(item, to: &out) }
            out.append(UInt8(ascii: "e"))
        case .dictionary(let entries):
            let sorted = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            out.append(UInt8(ascii: "d"))
            var previous: [UInt8]?
            for entry in sorted {
                if entry.key == previous {
                    throw WireError(.invalidBencode, "duplicate dictionary key \"\(String(decoding: entry.key, as: UTF8.self))\"")
                }
                previous = entry.key
                appendString(entry.key, to: &out)
                try append(entry.value, to: &out)
            }
            out.append(UInt8(ascii: "e"))
        }
    }

    private static func appendString(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(contentsOf: String(bytes.count).utf8)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: bytes)
    }
}
