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

    /// Every key and value, percent-decoded, back to back; `pairs` index into it. One buffer
    /// instead of two arrays per pair: announces are the tracker's hot path.
    private var decoded: [UInt8] = []
    private var pairs: [(key: Range<Int>, value: Range<Int>)] = []

    /// - Throws: ``TrackerError`` `.invalidRequest` for a malformed escape or a limit passed.
    init(_ query: Substring) throws(TrackerError) {
        var query = query
        query.makeContiguousUTF8()  // a no-op for the usual native string
        let result: Result<Void, TrackerError> = query.utf8.withContiguousStorageIfAvailable { bytes in
            do throws(TrackerError) { return .success(try split(bytes)) } catch { return .failure(error) }
        } ?? .failure(TrackerError(.invalidRequest, "unreadable query"))
        try result.get()
    }

    private mutating func split(_ bytes: UnsafeBufferPointer<UInt8>) throws(TrackerError) {
        guard bytes.count <= Self.maxLength else { throw TrackerError(.invalidRequest, "query longer than \(Self.maxLength) bytes") }
        decoded.reserveCapacity(bytes.count)
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
                guard pairs.count < Self.maxPairs else { throw TrackerError(.invalidRequest, "more than \(Self.maxPairs) query parameters") }
                let keyEnd = equals < 0 ? end : equals
                let key = try unescape(bytes, start, keyEnd)
                let value = equals < 0 ? decoded.endIndex..<decoded.endIndex : try unescape(bytes, equals + 1, end)
                pairs.append((key, value))
            }
            start = end + 1
        }
    }

    /// Decodes `bytes[from..<to]` onto the end of `decoded`.
    /// - Returns: where it landed.
    private mutating func unescape(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) throws(TrackerError) -> Range<Int> {
        let first = decoded.endIndex
        var i = from
        while i < to {
            let c = bytes[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < to, let byte = Hex.decodeByte(bytes[i + 1], bytes[i + 2])
                else {
                    throw TrackerError(.invalidRequest, "malformed percent-escape in \"\(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<min(to, from + 40)]), as: UTF8.self))\"")
                }
                decoded.append(byte)
                i += 3
            } else {
                decoded.append(c == UInt8(ascii: "+") ? UInt8(ascii: " ") : c)
                i += 1
            }
        }
        return first..<decoded.endIndex
    }

    private func matches(_ range: Range<Int>, _ key: StaticString) -> Bool {
        guard range.count == key.utf8CodeUnitCount else { return false }
        let wanted = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        var j = 0
        for i in range {
            guard decoded[i] == wanted[j] else { return false }
            j += 1
        }
        return true
    }

    /// The first value for `key`.
    func first(_ key: StaticString) -> ArraySlice<UInt8>? {
        pairs.first { matches($0.key, key) }.map { decoded[$0.value] }
    }

    /// The first of `keys` present, in one pass over the pairs.
    func firstPresent(_ keys: [StaticString]) -> StaticString? {
        for pair in pairs {
            if let key = keys.first(where: { matches(pair.key, $0) }) { return key }
        }
        return nil
    }

    /// Every value for `key`, in order.
    func all(_ key: StaticString) -> [[UInt8]] {
        pairs.filter { matches($0.key, key) }.map { Array(decoded[$0.value]) }
    }

    /// The first value for `key` as a decimal integer within `range`.
    /// - Throws: ``TrackerError`` `.invalidRequest` if present but not such a number.
    func integer<T: FixedWidthInteger>(_ key: StaticString, in range: ClosedRange<T>) throws(TrackerError) -> T? {
        guard let raw = first(key) else { return nil }
        guard raw.count <= 20, let value = Self.decimal(raw, as: T.self), range.contains(value) else {
            let bounds = range == T.min...T.max ? "" : " in \(range)"
            throw TrackerError(.invalidRequest, "\(key) is not an integer\(bounds)")
        }
        return value
    }

    /// Parses an optionally signed decimal without making a String.
    private static func decimal<T: FixedWidthInteger>(_ raw: ArraySlice<UInt8>, as: T.Type) -> T? {
        guard let sign = raw.first else { return nil }
        var negative = false
        var digits = raw
        if sign == UInt8(ascii: "-") {
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
