import NERDCrypto

/// A URL query string split into percent-decoded keys and binary values, with limits.
///
/// Values stay bytes: `info_hash` and `peer_id` are raw 20-byte strings escaped byte by byte
/// (BEP 3), so they must not pass through any text decoding. One pass over the UTF-8 bytes:
/// announces are the tracker's hot path.
struct QueryString {
    /// Longest query accepted, in bytes (64 scrape info-hashes fit easily).
    static let maxLength = 8192
    /// Most `key=value` pairs accepted.
    static let maxPairs = 100

    private(set) var pairs: [(key: [UInt8], value: [UInt8])] = []

    /// - Throws: ``TrackerError`` `.invalidRequest` for a malformed escape or a limit passed.
    init(_ query: Substring) throws(TrackerError) {
        let result: Result<[(key: [UInt8], value: [UInt8])], TrackerError>? = query.utf8.withContiguousStorageIfAvailable { bytes in
            do throws(TrackerError) { return .success(try Self.split(bytes)) } catch { return .failure(error) }
        }
        if let result {
            pairs = try result.get()
            return
        }
        // Not contiguous (rare): copy once.
        let copy = Array(query.utf8)
        let copied: Result<[(key: [UInt8], value: [UInt8])], TrackerError> = copy.withUnsafeBufferPointer { bytes in
            do throws(TrackerError) { return .success(try Self.split(bytes)) } catch { return .failure(error) }
        }
        pairs = try copied.get()
    }

    private static func split(_ bytes: UnsafeBufferPointer<UInt8>) throws(TrackerError) -> [(key: [UInt8], value: [UInt8])] {
        guard bytes.count <= maxLength else { throw TrackerError(.invalidRequest, "query longer than \(maxLength) bytes") }
        var pairs: [(key: [UInt8], value: [UInt8])] = []
        pairs.reserveCapacity(12)
        var start = 0
        while start < bytes.count {
            var end = start
            var equals = -1
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") {
                if equals < 0, bytes[end] == UInt8(ascii: "=") { equals = end }
                end += 1
            }
            if end > start {
                guard pairs.count < maxPairs else { throw TrackerError(.invalidRequest, "more than \(maxPairs) query parameters") }
                let keyEnd = equals < 0 ? end : equals
                let key = try unescape(bytes, start, keyEnd)
                let value = equals < 0 ? [] : try unescape(bytes, equals + 1, end)
                pairs.append((key, value))
            }
            start = end + 1
        }
        return pairs
    }

    private static func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) throws(TrackerError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(to - from)
        var i = from
        while i < to {
            let c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < to, let byte = Hex.decodeByte(bytes[i + 1], bytes[i + 2])
                else {
                    throw TrackerError(.invalidRequest, "malformed percent-escape in \"\(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<min(to, from + 40)]), as: UTF8.self))\"")
                }
                out.append(byte)
                i += 3
            } else {
                out.append(c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
                i += 1
            }
        }
        return out
    }

    /// The first value for `key`.
    func first(_ key: String) -> [UInt8]? {
        let wanted = Array(key.utf8)
        return pairs.first { $0.key == wanted }?.value
    }

    /// Every value for `key`, in order.
    func all(_ key: String) -> [[UInt8]] {
        let wanted = Array(key.utf8)
        return pairs.filter { $0.key == wanted }.map(\.value)
    }

    /// The first value for `key` as a decimal integer within `range`.
    /// - Throws: ``TrackerError`` `.invalidRequest` if present but not such a number.
    func integer<T: FixedWidthInteger>(_ key: String, in range: ClosedRange<T>) throws(TrackerError) -> T? {
        guard let raw = first(key) else { return nil }
        guard raw.count <= 20, let value = Self.decimal(raw, as: T.self), range.contains(value) else {
            throw TrackerError(.invalidRequest, "\(key) is not an integer in \(range)")
        }
        return value
    }

    /// Parses an optionally signed decimal without making a String.
    private static func decimal<T: FixedWidthInteger>(_ raw: [UInt8], as: T.Type) -> T? {
        guard !raw.isEmpty else { return nil }
        var negative = false
        var digits = raw[...]
        if raw[0] == UInt8(ascii: "-") {
            guard T.isSigned, raw.count > 1 else { return nil }
            negative = true
            digits = raw.dropFirst()
        }
        var value: T = 0
        for c in digits {
            guard c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") else { return nil }
            let digit = T(c - UInt8(ascii: "0"))
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }
}
