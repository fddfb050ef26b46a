import NERDCrypto
import NERDWire

/// The HTTP tracker protocol's request queries and bencoded replies (BEP 3, 7, 23, 48), and
/// the NERD extension keys (`Docs/tracker-nerd-extension.md`).
public enum HTTPTrackerCodec {
    /// Most info-hashes one scrape may ask for.
    public static let maxScrapeHashes = 64
    /// Largest reply a client reads, in bytes (after decompression).
    public static let maxResponseSize = 1 << 20

    // MARK: Requests

    /// The query string (without `?`) for an announce.
    public static func query(for request: AnnounceRequest) -> String {
        var parts = [
            "info_hash=" + URLEscaping.escapeComponent(request.infoHash),
            "peer_id=" + URLEscaping.escapeComponent(request.peerID),
            "port=\(request.port)",
            "uploaded=\(request.uploaded)",
            "downloaded=\(request.downloaded)",
            "left=\(request.left)",
            "compact=\(request.compact ? 1 : 0)",
        ]
        if request.noPeerID { parts.append("no_peer_id=1") }
        if request.event != .none { parts.append("event=\(request.event.rawValue)") }
        if let numWant = request.numWant { parts.append("numwant=\(numWant)") }
        if let key = request.key { parts.append("key=" + String(key, radix: 16, uppercase: true)) }
        if let terms = request.terms {
            parts.append("nerd_payee=" + Hex.encode(terms.payee))
            parts.append("nerd_price=\(terms.priceMillisatoshisPerMiB)")
            parts.append("nerd_currencies=" + URLEscaping.escapeComponent(terms.currencies.joined(separator: ",").utf8))
            if let rate = terms.uploadRate { parts.append("nerd_up=\(rate)") }
            if let uptime = terms.uptime { parts.append("nerd_uptime=\(uptime)") }
        }
        if request.wantsTerms { parts.append("nerd=1") }
        return parts.joined(separator: "&")
    }

    /// Parses an announce query.
    /// - Throws: ``TrackerError`` `.invalidRequest` naming the missing or malformed key.
    public static func parseAnnounce(query: Substring) throws(TrackerError) -> AnnounceRequest {
        let q = try QueryString(query)
        guard let infoHash = q.first("info_hash").map(Array.init), infoHash.count == 20 else {
            throw TrackerError(.invalidRequest, "info_hash missing or not 20 bytes")
        }
        guard let peerID = q.first("peer_id").map(Array.init), peerID.count == 20 else {
            throw TrackerError(.invalidRequest, "peer_id missing or not 20 bytes")
        }
        guard let port: UInt16 = try q.integer("port", in: 0...65535) else {
            throw TrackerError(.invalidRequest, "port missing")
        }
        let eventText = q.first("event").map { String(decoding: $0, as: UTF8.self) } ?? ""
        // Unknown events (`paused` from BEP 21) count as regular announces.
        let event = AnnounceRequest.Event(rawValue: eventText) ?? .none
        let key: UInt32? = q.first("key").flatMap { raw in
            raw.count <= 8 ? UInt32(String(decoding: raw, as: UTF8.self), radix: 16) : nil
        }
        // Negative or empty numwant means "default" for some clients.
        let numWant = q.first("numwant")?.isEmpty != false
            ? nil : (try q.integer("numwant", in: Int.min...Int.max)).flatMap { $0 < 0 ? nil : $0 }
        var request = AnnounceRequest(
            infoHash: infoHash, peerID: peerID, port: port,
            uploaded: try q.integer("uploaded", in: 0...Int64.max) ?? 0,
            downloaded: try q.integer("downloaded", in: 0...Int64.max) ?? 0,
            // A missing `left` is treated as a leecher, as most trackers do.
            left: try q.integer("left", in: 0...Int64.max) ?? 1,
            event: event,
            numWant: numWant,
            key: key,
            compact: q.first("compact") != [UInt8(ascii: "0")],
            noPeerID: q.first("no_peer_id") == [UInt8(ascii: "1")],
            wantsTerms: q.first("nerd") == [UInt8(ascii: "1")])
        if let payeeHex = q.first("nerd_payee") {
            guard let payee = Hex.decode(String(decoding: payeeHex, as: UTF8.self)) else {
                throw TrackerError(.invalidRequest, "nerd_payee is not hex")
            }
            guard let price: UInt64 = try q.integer("nerd_price", in: 0...UInt64(Int64.max)) else {
                throw TrackerError(.invalidRequest, "nerd_payee given without nerd_price")
            }
            // Empty codes ("BSV,,NERD") are kept, so the terms are refused rather than changed.
            let currencies = q.first("nerd_currencies").map {
                String(decoding: $0, as: UTF8.self).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            } ?? ["BSV"]
            do {
                request.terms = try PaymentTerms(
                    payee: payee, priceMillisatoshisPerMiB: price, currencies: currencies,
                    uploadRate: try q.integer("nerd_up", in: 0...UInt64(Int64.max)),
                    uptime: try q.integer("nerd_uptime", in: 0...UInt64(Int64.max)))
            } catch {
                throw error.code == .invalidRequest && !error.message.hasPrefix("nerd_")
                    ? TrackerError(.invalidRequest, "nerd_" + error.message) : error
            }
        } else if let orphan = q.firstPresent(["nerd_price", "nerd_currencies", "nerd_up", "nerd_uptime"]) {
            // Terms come whole or not at all (Docs/tracker-nerd-extension.md).
            throw TrackerError(.invalidRequest, "\(orphan) given without nerd_payee")
        }
        return request
    }

    /// The info-hashes of a scrape query (`info_hash` repeated).
    /// - Throws: ``TrackerError`` `.invalidRequest` for none, a wrong length, or too many.
    public static func parseScrape(query: Substring) throws(TrackerError) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        // A hash asked twice is answered once (a reply cannot hold a key twice).
        let hashes = try QueryString(query).all("info_hash").filter { seen.insert($0).inserted }
        guard !hashes.isEmpty else { throw TrackerError(.invalidRequest, "scrape needs at least one info_hash") }
        guard hashes.count <= maxScrapeHashes else {
            throw TrackerError(.invalidRequest, "more than \(maxScrapeHashes) info_hash values")
        }
        guard hashes.allSatisfy({ $0.count == 20 }) else { throw TrackerError(.invalidRequest, "info_hash not 20 bytes") }
        return hashes
    }

    /// The scrape URL for an announce URL (BEP 48 convention), or `nil` when there is none:
    /// the last path segment must start with `announce` (or already `scrape`: the URL is
    /// returned as it is).
    public static func scrapeURL(forAnnounce url: String) -> String? {
        guard let slash = url.lastIndex(of: "/") else { return nil }
        let last = url[url.index(after: slash)...]
        // A URL that already is a scrape URL is taken as it is.
        if last.hasPrefix("scrape") { return url }
        guard last.hasPrefix("announce") else { return nil }
        return String(url[...slash]) + "scrape" + last.dropFirst("announce".count)
    }

    // MARK: Replies

    /// A bencoded `failure reason` reply.
    public static func encodeFailure(_ reason: String) -> [UInt8] {
        (try? BencodeEncoder.encode(.dictionary([("failure reason", .string(reason))]))) ?? []
    }

    /// Encodes an announce reply; compact peer strings are passed pre-built so a server can
    /// write them without making ``TrackerPeer`` values.
    static func encodeAnnounce(interval: Int, minInterval: Int, complete: Int, incomplete: Int, compact: Bool,
                               peers4: [UInt8], peers6: [UInt8], terms: [(compact: [UInt8], terms: PaymentTerms)],
                               warning: String? = nil)
        -> [UInt8]
    {
        if compact && terms.isEmpty {
            return encodeCompactAnnounce(interval: interval, minInterval: minInterval, complete: complete, incomplete: incomplete,
                                         peers4: peers4, peers6: peers6, warning: warning)
        }
        var pairs: [(String, BencodeValue)] = [
            ("interval", .integer(interval)),
            ("min interval", .integer(minInterval)),
            ("complete", .integer(complete)),
            ("incomplete", .integer(incomplete)),
        ]
        if compact {
            pairs.append(("peers", .string(peers4)))
            if !peers6.isEmpty { pairs.append(("peers6", .string(peers6))) }
        } else {
            // Non-compact: a list of dictionaries. Peer IDs are not stored, so none are sent.
            let list = (TrackerPeer.parseCompact(peers4, addressLength: 4) ?? [])
                + (TrackerPeer.parseCompact(peers6, addressLength: 16) ?? [])
            pairs.append(("peers", .list(list.map { .dictionary([("ip", .string($0.host)), ("port", .integer(Int($0.port)))]) })))
        }
        if !terms.isEmpty {
            let entries = terms.map { BencodeValue.Entry(key: $0.compact, value: encode($0.terms)) }
            pairs.append(("nerd", BencodeValue(.dictionary(entries))))
        }
        if let warning { pairs.append(("warning message", .string(Array(warning.utf8)))) }
        return (try? BencodeEncoder.encode(.dictionary(pairs))) ?? encodeFailure("internal error")
    }

    /// The common reply, written straight out in canonical key order (no value tree): this is
    /// the tracker's hot path. Same bytes as the general encoder.
    static func encodeCompactAnnounce(interval: Int, minInterval: Int, complete: Int, incomplete: Int, peers4: [UInt8],
                                      peers6: [UInt8], warning: String? = nil) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(96 + peers4.count + peers6.count)
        func integer(_ key: StaticString, _ value: Int) {
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            out.append(UInt8(ascii: "i"))
            out.append(contentsOf: String(value).utf8)
            out.append(UInt8(ascii: "e"))
        }
        func string(_ key: StaticString, _ value: [UInt8]) {
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            out.append(contentsOf: String(value.count).utf8)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value)
        }
        out.append(UInt8(ascii: "d"))
        integer("8:complete", complete)
        integer("10:incomplete", incomplete)
        integer("8:interval", interval)
        integer("12:min interval", minInterval)
        string("5:peers", peers4)
        if !peers6.isEmpty { string("6:peers6", peers6) }
        if let warning { string("15:warning message", Array(warning.utf8)) }
        out.append(UInt8(ascii: "e"))
        return out
    }

    static func encode(_ terms: PaymentTerms) -> BencodeValue {
        var pairs: [(String, BencodeValue)] = [
            ("payee", .string(terms.payee)),
            ("price", .integer(Int64(clamping: terms.priceMillisatoshisPerMiB))),
            ("currencies", .list(terms.currencies.map { .string($0) })),
        ]
        if let rate = terms.uploadRate { pairs.append(("up", .integer(Int64(clamping: rate)))) }
        if let uptime = terms.uptime { pairs.append(("uptime", .integer(Int64(clamping: uptime)))) }
        return .dictionary(pairs)
    }

    /// Encodes a scrape reply: `files` maps each raw info-hash to its counts.
    static func encodeScrape(_ entries: [([UInt8], ScrapeEntry)]) -> [UInt8] {
        let files = entries.map { hash, entry in
            BencodeValue.Entry(key: hash, value: .dictionary([
                ("complete", .integer(entry.complete)),
                ("downloaded", .integer(entry.downloaded)),
                ("incomplete", .integer(entry.incomplete)),
            ]))
        }
        return (try? BencodeEncoder.encode(.dictionary([("files", BencodeValue(.dictionary(files)))])))
            ?? encodeFailure("internal error")
    }

    /// Parses an announce reply (compact or dictionary peers, `peers6`, `nerd`).
    /// - Throws: ``TrackerError`` `.trackerFailure` with the tracker's `failure reason`, or
    ///   `.invalidResponse`.
    public static func parseAnnounceResponse(_ body: [UInt8]) throws(TrackerError) -> AnnounceResponse {
        let root = try decodeReply(body)
        var response = AnnounceResponse(
            interval: try clampedInt(root["interval"]) ?? 1800,
            minInterval: try clampedInt(root["min interval"]),
            complete: try clampedInt(root["complete"]),
            incomplete: try clampedInt(root["incomplete"]),
            warning: root["warning message"]?.bytes.map { String(decoding: $0, as: UTF8.self) })
        if let peers = root["peers"] {
            if let compact = peers.bytes {
                guard let parsed = TrackerPeer.parseCompact(compact, addressLength: 4) else {
                    throw TrackerError(.invalidResponse, "compact peers length \(compact.count) is not a multiple of 6")
                }
                response.peers += parsed
            } else if let list = peers.list {
                for item in list {
                    // Entries with host names or bad ports are skipped: dialling names could lead anywhere.
                    guard let host = item["ip"]?.utf8String, let port = item["port"]?.integer,
                          let peer = TrackerPeer(host: host, port: Int(port))
                    else { continue }
                    response.peers.append(peer)
                }
            } else {
                throw TrackerError(.invalidResponse, "peers is neither a string nor a list")
            }
        }
        if let peers6 = root["peers6"]?.bytes {
            guard let parsed = TrackerPeer.parseCompact(peers6, addressLength: 16) else {
                throw TrackerError(.invalidResponse, "compact peers6 length \(peers6.count) is not a multiple of 18")
            }
            response.peers += parsed
        }
        for entry in root["nerd"]?.entries ?? [] {
            let addressLength = entry.key.count == 6 ? 4 : 16
            guard let peer = TrackerPeer.parseCompact(entry.key, addressLength: addressLength)?.first,
                  let terms = parseTerms(entry.value)
            else { continue }
            response.terms[peer] = terms
        }
        return response
    }

    /// Parses a scrape reply. - Throws: ``TrackerError`` as ``parseAnnounceResponse(_:)``.
    public static func parseScrapeResponse(_ body: [UInt8]) throws(TrackerError) -> [[UInt8]: ScrapeEntry] {
        let root = try decodeReply(body)
        var result: [[UInt8]: ScrapeEntry] = [:]
        for entry in root["files"]?.entries ?? [] where entry.key.count == 20 {
            result[entry.key] = ScrapeEntry(
                complete: try clampedInt(entry.value["complete"]) ?? 0,
                downloaded: try clampedInt(entry.value["downloaded"]) ?? 0,
                incomplete: try clampedInt(entry.value["incomplete"]) ?? 0)
        }
        return result
    }

    private static func decodeReply(_ body: [UInt8]) throws(TrackerError) -> BencodeValue {
        let limits = BencodeLimits(maxInputSize: maxResponseSize, maxDepth: 8, maxStringLength: maxResponseSize,
                                   maxElementCount: 50_000)
        let root: BencodeValue
        do { root = try BencodeDecoder(limits: limits).decode(body) } catch {
            throw TrackerError(.invalidResponse, "reply is not bencode: \(error)")
        }
        guard root.isDictionary else { throw TrackerError(.invalidResponse, "reply is not a dictionary") }
        if let failure = root["failure reason"] {
            throw TrackerError(.trackerFailure, String(decoding: failure.bytes ?? [], as: UTF8.self))
        }
        return root
    }

    private static func clampedInt(_ value: BencodeValue?) throws(TrackerError) -> Int? {
        guard let value else { return nil }
        guard let number = value.integer, number >= 0 else {
            throw TrackerError(.invalidResponse, "expected a non-negative integer")
        }
        return Int(clamping: number)
    }

    // Plain optional binding only: the 6.3.1 release compiler crashed on closures over
    // optional BencodeValue chains here.
    private static func parseTerms(_ value: BencodeValue) -> PaymentTerms? {
        guard let payee = value["payee"]?.bytes, let price = value["price"]?.integer, price >= 0 else { return nil }
        var currencies: [String] = []
        if let list = value["currencies"]?.list {
            for item in list { if let code = item.utf8String { currencies.append(code) } }
        }
        var uploadRate: UInt64?
        if let up = value["up"]?.integer, up >= 0 { uploadRate = UInt64(up) }
        var uptime: UInt64?
        if let seconds = value["uptime"]?.integer, seconds >= 0 { uptime = UInt64(seconds) }
        return try? PaymentTerms(payee: payee, priceMillisatoshisPerMiB: UInt64(price),
                                 currencies: currencies.isEmpty ? ["BSV"] : currencies, uploadRate: uploadRate, uptime: uptime)
    }
}
