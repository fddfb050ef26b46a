import NERDWire

/// A URL query string split into percent-decoded keys and binary values, with limits.
///
/// Values stay bytes: `info_hash` and `peer_id` are raw 20-byte strings escaped byte by byte
/// (BEP 3), so they must not pass through any text decoding.
struct QueryString {
    /// Longest query accepted, in bytes (64 scrape info-hashes fit easily).
    static let maxLength = 8192
    /// Most `key=value` pairs accepted.
    static let maxPairs = 100

    private(set) var pairs: [(key: String, value: [UInt8])] = []

    /// - Throws: ``TrackerError`` `.invalidRequest` for a malformed escape or a limit passed.
    init(_ query: Substring) throws(TrackerError) {
        guard query.utf8.count <= Self.maxLength else {
            throw TrackerError(.invalidRequest, "query longer than \(Self.maxLength) bytes")
        }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            guard pairs.count < Self.maxPairs else {
                throw TrackerError(.invalidRequest, "more than \(Self.maxPairs) query parameters")
            }
            let equals = part.firstIndex(of: "=")
            let rawKey = equals.map { part[..<$0] } ?? part
            let rawValue = equals.map { part[part.index(after: $0)...] } ?? ""
            guard let key = URLEscaping.unescape(rawKey, plusIsSpace: true),
                  let value = URLEscaping.unescape(rawValue, plusIsSpace: true)
            else {
                throw TrackerError(.invalidRequest, "malformed percent-escape in \"\(part.prefix(40))\"")
            }
            pairs.append((String(decoding: key, as: UTF8.self), value))
        }
    }

    /// The first value for `key`.
    func first(_ key: String) -> [UInt8]? { pairs.first { $0.key == key }?.value }

    /// Every value for `key`, in order.
    func all(_ key: String) -> [[UInt8]] { pairs.filter { $0.key == key }.map(\.value) }

    /// The first value for `key` as a decimal integer within `range`.
    /// - Throws: ``TrackerError`` `.invalidRequest` if present but not such a number.
    func integer<T: FixedWidthInteger>(_ key: String, in range: ClosedRange<T>) throws(TrackerError) -> T? {
        guard let raw = first(key) else { return nil }
        let text = String(decoding: raw, as: UTF8.self)
        guard raw.count <= 20, let value = T(text), range.contains(value) else {
            throw TrackerError(.invalidRequest, "\(key) is not an integer in \(range)")
        }
        return value
    }
}
