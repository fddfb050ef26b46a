/// Reads Go native-fuzz corpus files (`go test fuzz v1` then `[]byte("...")`) into raw bytes.
public enum GoFuzzCorpus {
    /// - Returns: the bytes of every `[]byte("...")` or `string("...")` literal in the file.
    public static func inputs(_ text: String) -> [[UInt8]] {
        var results: [[UInt8]] = []
        for line in text.split(separator: "\n") {
            guard let open = line.firstIndex(of: "\""), line.hasSuffix("\")") else { continue }
            let body = line[line.index(after: open)..<line.index(line.endIndex, offsetBy: -2)]
            if let bytes = unquote(Array(body.utf8)) { results.append(bytes) }
        }
        return results
    }

    /// Decodes a Go interpreted string literal body.
    static func unquote(_ s: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var i = 0
        func hex(_ c: UInt8) -> UInt32? {
            switch c {
            case 48...57: UInt32(c - 48)
            case 97...102: UInt32(c - 87)
            case 65...70: UInt32(c - 55)
            default: nil
            }
        }
        while i < s.count {
            let c = s[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            guard i + 1 < s.count else { return nil }
            let e = s[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "a"): out.append(7)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): out.append(e)
            case UInt8(ascii: "x"):
                guard i + 1 < s.count, let h = hex(s[i]), let l = hex(s[i + 1]) else { return nil }
                out.append(UInt8(h << 4 | l))
                i += 2
            case UInt8(ascii: "u"), UInt8(ascii: "U"):
                let n = e == UInt8(ascii: "u") ? 4 : 8
                guard i + n <= s.count else { return nil }
                var v: UInt32 = 0
                for k in 0..<n {
                    guard let h = hex(s[i + k]) else { return nil }
                    v = v << 4 | h
                }
                i += n
                guard let scalar = Unicode.Scalar(v) else { return nil }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard i + 1 < s.count else { return nil }
                let v = UInt32(e - 48) << 6 | UInt32(s[i] - 48) << 3 | UInt32(s[i + 1] - 48)
                out.append(UInt8(truncatingIfNeeded: v))
                i += 2
            default: return nil
            }
        }
        return out
    }
}
