import NERDCrypto

/// A magnet link (BEP 9; BEP 53 `so`; BEP 52 `urn:btmh:`).
///
/// `magnet:?xt=urn:btih:<40 hex or 32 base32>&xt=urn:btmh:1220<64 hex>&dn=<name>&tr=<tracker>...`
public struct MagnetURI: Sendable, Hashable {
    /// At least one of v1 (`btih`) and v2 (`btmh`).
    public var infoHashes: InfoHashes
    /// `dn`: a display name, until the metadata arrives.
    public var displayName: String?
    /// `tr`: tracker URLs, in order, duplicates removed.
    public var trackers: [String]
    /// `ws`: web seed URLs (BEP 19).
    public var webSeeds: [String]
    /// `x.pe`: peer addresses (`host:port`) to dial directly.
    public var peers: [String]
    /// `so` (BEP 53): file indices to download, as inclusive ranges.
    public var selectOnly: [ClosedRange<Int>]

    /// Longest magnet accepted, in bytes.
    public static let maxLength = 64 * 1024
    /// Most query parameters accepted.
    public static let maxParameters = 1024

    public init(infoHashes: InfoHashes, displayName: String? = nil, trackers: [String] = [],
                webSeeds: [String] = [], peers: [String] = [], selectOnly: [ClosedRange<Int>] = []) {
        self.infoHashes = infoHashes
        self.displayName = displayName
        self.trackers = trackers
        self.webSeeds = webSeeds
        self.peers = peers
        self.selectOnly = selectOnly
    }

    /// Parses a magnet URI. Unknown parameters are ignored; keys may carry an index suffix
    /// (`tr.1`).
    ///
    /// - Throws: ``WireError`` `.invalidMagnet` when the scheme is not `magnet:`, no usable
    ///   `xt` is present, a hash is malformed, an escape is broken, or a limit is exceeded.
    public init(parsing text: String) throws(WireError) {
        guard text.utf8.count <= Self.maxLength else {
            throw WireError(.invalidMagnet, "magnet longer than \(Self.maxLength) bytes")
        }
        guard text.lowercased().hasPrefix("magnet:?") else {
            throw WireError(.invalidMagnet, "not a magnet URI (expected magnet:?)")
        }
        let query = text.dropFirst("magnet:?".count)
        let parameters = query.split(separator: "&", omittingEmptySubsequences: true)
        guard parameters.count <= Self.maxParameters else {
            throw WireError(.invalidMagnet, "more than \(Self.maxParameters) parameters")
        }
        var v1: InfoHash?
        var v2: InfoHash?
        var result = MagnetURI(infoHashes: InfoHashes(v1: nil, v2: nil))
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = parts[0].lowercased().split(separator: ".").prefix(2)
            let baseKey = key.first.map(String.init) ?? ""
            let fullKey = key.joined(separator: ".")
            guard parts.count == 2 else { continue }
            guard let bytes = URLEscaping.unescape(parts[1], plusIsSpace: true) else {
                throw WireError(.invalidMagnet, "broken percent-escape in \(baseKey)")
            }
            let value = String(decoding: bytes, as: UTF8.self)
            switch fullKey == "x.pe" ? "x.pe" : baseKey {
            case "xt":
                let lower = value.lowercased()
                if lower.hasPrefix("urn:btih:") {
                    let hash = value.dropFirst("urn:btih:".count)
                    let decoded = hash.count == 40 ? Hex.decode(hash) : hash.count == 32 ? Base32.decode(hash) : nil
                    guard let decoded, let infoHash = InfoHash(bytes: decoded), !infoHash.isV2 else {
                        throw WireError(.invalidMagnet, "btih must be 40 hex or 32 base32 characters")
                    }
                    v1 = infoHash
                } else if lower.hasPrefix("urn:btmh:") {
                    // multihash: 0x12 (sha2-256), 0x20 (32 bytes), digest
                    let hash = value.dropFirst("urn:btmh:".count)
                    guard let decoded = Hex.decode(hash), decoded.count == 34, decoded[0] == 0x12, decoded[1] == 0x20,
                        let infoHash = InfoHash(bytes: Array(decoded[2...]))
                    else { throw WireError(.invalidMagnet, "btmh must be a sha2-256 multihash (1220 + 64 hex)") }
                    v2 = infoHash
                }
            case "dn": result.displayName = value
            case "tr": if !value.isEmpty, !result.trackers.contains(value) { result.trackers.append(value) }
            case "ws": if !value.isEmpty, !result.webSeeds.contains(value) { result.webSeeds.append(value) }
            case "x.pe": if !value.isEmpty { result.peers.append(value) }
            case "so": result.selectOnly = try Self.parseSelectOnly(value)
            default: continue
            }
        }
        guard v1 != nil || v2 != nil else {
            throw WireError(.invalidMagnet, "magnet has no urn:btih or urn:btmh info-hash")
        }
        result.infoHashes = InfoHashes(v1: v1, v2: v2)
        self = result
    }

    /// Highest file index `so` may name (no torrent has more files than NERD accepts).
    static let maxFileIndex = 1 << 20

    private static func parseSelectOnly(_ value: String) throws(WireError) -> [ClosedRange<Int>] {
        var ranges: [ClosedRange<Int>] = []
        func index(_ text: Substring) -> Int? {
            guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), let n = Int(text), n <= maxFileIndex
            else { return nil }
            return n
        }
        let items = value.split(separator: ",", omittingEmptySubsequences: false)
        guard items.count <= 1024 else { throw WireError(.invalidMagnet, "so lists more than 1024 items") }
        for item in items {
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            guard let low = index(bounds[0]), let high = bounds.count == 2 ? index(bounds[1]) : low, high >= low else {
                throw WireError(.invalidMagnet, "so must list file indices and ranges like 0,2,4-6")
            }
            ranges.append(low...high)
        }
        return ranges
    }

    /// A magnet for a torrent: its info-hash(es), name, trackers and web seeds.
    public init(metainfo: Metainfo) {
        self.init(infoHashes: metainfo.infoHashes, displayName: metainfo.name,
                  trackers: metainfo.trackers.flatMap { $0 },
                  webSeeds: metainfo.webSeeds.filter { $0.kind == .urlSeed }.map(\.url))
    }

    /// The URI text: `xt` first, then `dn`, `tr`, `ws`, `x.pe`, `so`, values percent-encoded.
    public var uriString: String {
        var parts: [String] = []
        if let v1 = infoHashes.v1 { parts.append("xt=urn:btih:\(v1.hex)") }
        if let v2 = infoHashes.v2 { parts.append("xt=urn:btmh:1220\(v2.hex)") }
        if let displayName { parts.append("dn=" + URLEscaping.escapeComponent(displayName.utf8)) }
        parts += trackers.map { "tr=" + URLEscaping.escapeComponent($0.utf8) }
        parts += webSeeds.map { "ws=" + URLEscaping.escapeComponent($0.utf8) }
        parts += peers.map { "x.pe=" + URLEscaping.escapeComponent($0.utf8) }
        if !selectOnly.isEmpty {
            parts.append("so=" + selectOnly.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
                .joined(separator: ","))
        }
        return "magnet:?" + parts.joined(separator: "&")
    }
}
