/// Turns path elements from a torrent into names that are safe to create under a download
/// folder, the way libtorrent does, so a torrent still loads but nothing lands outside.
///
/// Per element: separators (`/`, `\`) are removed; invalid UTF-8 and control characters
/// become `_`; an element that is empty becomes `_`; an element that is `.`, `..` or nothing
/// but separators is dropped; an element is cut to about 240 bytes, keeping a short extension.
public enum PathSanitizer {
    /// Longest element kept, in bytes (whole characters), before the extension is re-appended.
    static let maxElementBytes = 240

    /// Sanitises one path element.
    /// - Returns: the safe element, or `nil` when the element must be dropped.
    public static func sanitize(element raw: [UInt8]) -> String? {
        if raw.isEmpty { return "_" }
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var added = 0
        var dots = 0
        var i = 0
        while i < raw.count {
            let (scalar, length) = decodeScalar(raw, at: i)
            defer { i += length }
            if scalar == 0x2F || scalar == 0x5C { continue }  // '/' and '\'
            if scalar < 0x20 || (0x7F...0x9F).contains(scalar) {  // invalid UTF-8 (-1), C0, DEL or C1
                out.append(UInt8(ascii: "_"))
                added += 1
            } else {
                out.append(contentsOf: raw[i..<i + length])
                if scalar == 0x2E { dots += 1 }
                added += length
            }
            // Filesystems limit names to 255 bytes: stop at 240 bytes, then the extension.
            if out.count >= maxElementBytes {
                // Keep an extension of up to 10 bytes so the file type survives truncation.
                if let dot = raw.lastIndex(of: UInt8(ascii: ".")), dot >= i + length, raw.count - dot <= 10 {
                    out.append(contentsOf: raw[dot...].map { $0 == 0x2F || $0 == 0x5C || $0 < 0x20 ? UInt8(ascii: "_") : $0 })
                }
                break
            }
        }
        if added == dots && added <= 2 { return nil }  // "", ".", ".." after filtering
        return String(decoding: out, as: UTF8.self)
    }

    /// Sanitises a path below the torrent name. Elements that vanish are dropped; a path with
    /// nothing left becomes `["_"]`.
    public static func sanitize(path raw: [[UInt8]]) -> [String] {
        let kept = raw.compactMap(sanitize(element:))
        return kept.isEmpty ? ["_"] : kept
    }

    /// Decodes one UTF-8 scalar. Returns -1 with length 1 for an invalid or overlong sequence.
    static func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Int32, Int) {
        let b0 = bytes[i]
        if b0 < 0x80 { return (Int32(b0), 1) }
        let length: Int
        var scalar: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; scalar = UInt32(b0 & 0x1F)
        case 0xE0...0xEF: length = 3; scalar = UInt32(b0 & 0x0F)
        case 0xF0...0xF4: length = 4; scalar = UInt32(b0 & 0x07)
        default: return (-1, 1)
        }
        guard i + length <= bytes.count else { return (-1, 1) }
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return (-1, 1) }
            scalar = scalar << 6 | UInt32(b & 0x3F)
        }
        let minimum: UInt32 = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0x80
        guard scalar >= minimum, scalar <= 0x10FFFF, !(0xD800...0xDFFF).contains(scalar) else { return (-1, 1) }
        return (Int32(scalar), length)
    }
}
