extension Metainfo {
    /// Parses a .torrent file.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - limits: bounds on size, nesting, pieces and files.
    /// - Throws: ``WireError`` with a bencode code (`.invalidBencode`, `.bencodeLimitExceeded`)
    ///   or a metainfo code (`.notADictionary`, `.missingInfo`, `.invalidName`, ...); see
    ///   `Docs/errors.md` for the full list.
    public init(bytes: [UInt8], limits: MetainfoLimits = .default) throws(WireError) {
        // Duplicate keys and trailing bytes are errors, but a problem in the info dictionary
        // is the more useful report, so it goes first (Docs/bencode-policy.md).
        let (root, deferred) = try BencodeDecoder(limits: limits.bencode).decodeDeferringLenientErrors(bytes)
        guard root.isDictionary else { throw deferred ?? WireError(.notADictionary, "torrent is not a dictionary", offset: 0) }
        guard let info = root["info"], info.isDictionary, let range = info.byteRange else {
            throw deferred ?? WireError(.missingInfo, "torrent has no info dictionary")
        }
        self = try InfoDictionaryParser(
            info: info, infoBytes: Array(bytes[range]), pieceLayers: root["piece layers"], limits: limits
        ).parse()
        if let deferred { throw deferred }
        trackers = Self.trackers(in: root)
        webSeeds = Self.webSeeds(in: root, fileCount: files.count)
        dhtNodes = Self.dhtNodes(in: root)
        comment = (root["comment.utf-8"] ?? root["comment"])?.utf8String
        createdBy = root["created by"]?.utf8String
        creationDate = root["creation date"]?.integer
        encoding = root["encoding"]?.utf8String
    }

    /// Parses a bare info dictionary, as fetched from peers with BEP 9 `ut_metadata`.
    ///
    /// - Throws: ``WireError`` as ``init(bytes:limits:)``.
    public init(infoDictionary bytes: [UInt8], limits: MetainfoLimits = .default) throws(WireError) {
        let (info, deferred) = try BencodeDecoder(limits: limits.bencode).decodeDeferringLenientErrors(bytes)
        guard info.isDictionary else { throw deferred ?? WireError(.missingInfo, "info is not a dictionary", offset: 0) }
        self = try InfoDictionaryParser(info: info, infoBytes: bytes, pieceLayers: nil, limits: limits).parse()
        if let deferred { throw deferred }
    }

    static func trackers(in root: BencodeValue) -> [[String]] {
        var seen = Set<String>()
        func clean(_ value: BencodeValue) -> String? {
            guard let url = value.utf8String?.trimmingWhitespace(), !url.isEmpty, seen.insert(url).inserted else { return nil }
            return url
        }
        var tiers: [[String]] = []
        for tier in root["announce-list"]?.list ?? [] {
            let urls = (tier.list ?? [tier]).compactMap(clean)
            if !urls.isEmpty { tiers.append(urls) }
        }
        if tiers.isEmpty, let announce = root["announce"], let url = clean(announce) {
            tiers = [[url]]
        }
        return tiers
    }

    static func webSeeds(in root: BencodeValue, fileCount: Int) -> [WebSeed] {
        var seen = Set<String>()
        var seeds: [WebSeed] = []
        func add(_ values: [BencodeValue], kind: WebSeed.Kind) {
            for value in values {
                guard let raw = value.bytes, !raw.isEmpty else { continue }
                var url = URLEscaping.escapeUnsafe(raw)
                // BEP 19: for a multi-file torrent the URL names the folder holding `name`.
                if kind == .urlSeed, fileCount > 1, !url.hasSuffix("/") { url += "/" }
                if seen.insert(url).inserted { seeds.append(WebSeed(url: url, kind: kind)) }
            }
        }
        if let urlList = root["url-list"] { add(urlList.list ?? [urlList], kind: .urlSeed) }
        if let httpSeeds = root["httpseeds"] { add(httpSeeds.list ?? [httpSeeds], kind: .httpSeed) }
        return seeds
    }

    static func dhtNodes(in root: BencodeValue) -> [DHTNodeAddress] {
        (root["nodes"]?.list ?? []).compactMap { node in
            guard let pair = node.list, pair.count == 2, let host = pair[0].utf8String, !host.isEmpty,
                let port = pair[1].integer, (1...65535).contains(port)
            else { return nil }
            return DHTNodeAddress(host: host, port: Int(port))
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
