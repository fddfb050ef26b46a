import NERDCrypto

/// Percent-encoding for URLs found in torrents, magnet links and tracker queries (RFC 3986).
public enum URLEscaping {
    /// Escapes the bytes that may not appear in a URL as written (spaces, controls, non-ASCII,
    /// and `"<>\^`{|}`), leaving reserved characters and existing `%XX` escapes alone.
    static func escapeUnsafe(_ raw: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        for b in raw {
            if b <= 0x20 || b >= 0x7F || Array(#""<>\^`{|}"#.utf8).contains(b) {
                out.append(contentsOf: percent(b))
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Escapes everything but RFC 3986 unreserved characters; for query values.
    public static func escapeComponent(_ raw: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for b in raw {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(b)
            default:
                out.append(contentsOf: percent(b))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`).
    /// - Returns: the bytes, or `nil` for a malformed escape.
    public static func unescape(_ text: Substring, plusIsSpace: Bool = false) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let c = utf8[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < utf8.count, let byte = Hex.decodeByte(utf8[i + 1], utf8[i + 2]) else { return nil }
                out.append(byte)
                i += 3
            } else {
                out.append(plusIsSpace && c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
                i += 1
            }
        }
        return out
    }

    private static func percent(_ b: UInt8) -> [UInt8] {
        let digits = Array("0123456789ABCDEF".utf8)
        return [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 0xF)]]
    }
}
