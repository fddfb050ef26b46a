import NIOCore

/// BEP 15 UDP tracker packets, both directions. All integers are big-endian.
public enum UDPTrackerMessage: Sendable, Hashable {
    /// The magic `protocol_id` of a connect request.
    public static let protocolID: UInt64 = 0x417_2710_1980
    /// Most info-hashes in one UDP scrape (keeps the reply in one unfragmented datagram).
    public static let maxScrapeHashes = 74
    /// Longest datagram read or written.
    public static let maxPacketSize = 2048

    public enum Action: UInt32, Sendable {
        case connect = 0
        case announce = 1
        case scrape = 2
        case error = 3
    }

    // Requests
    case connectRequest(transactionID: UInt32)
    case announceRequest(connectionID: UInt64, transactionID: UInt32, request: AnnounceRequest)
    case scrapeRequest(connectionID: UInt64, transactionID: UInt32, infoHashes: [[UInt8]])
    // Replies
    case connectResponse(transactionID: UInt32, connectionID: UInt64)
    case announceResponse(transactionID: UInt32, interval: UInt32, leechers: UInt32, seeders: UInt32, peers: [TrackerPeer])
    case scrapeResponse(transactionID: UInt32, entries: [ScrapeEntry])
    case error(transactionID: UInt32, message: String)

    // MARK: Encoding

    /// Writes the packet. Announce replies must hold peers of one family (the socket's).
    public func write(to buffer: inout ByteBuffer) {
        switch self {
        case .connectRequest(let tid):
            buffer.writeMultipleIntegers(Self.protocolID, Action.connect.rawValue, tid)
        case .announceRequest(let cid, let tid, let r):
            buffer.writeMultipleIntegers(cid, Action.announce.rawValue, tid)
            buffer.writeBytes(r.infoHash)
            buffer.writeBytes(r.peerID)
            buffer.writeMultipleIntegers(r.downloaded, r.left, r.uploaded, r.event.udpCode, UInt32(0), r.key ?? 0,
                                         Int32(clamping: r.numWant ?? -1), r.port)
        case .scrapeRequest(let cid, let tid, let hashes):
            buffer.writeMultipleIntegers(cid, Action.scrape.rawValue, tid)
            for hash in hashes { buffer.writeBytes(hash) }
        case .connectResponse(let tid, let cid):
            buffer.writeMultipleIntegers(Action.connect.rawValue, tid, cid)
        case .announceResponse(let tid, let interval, let leechers, let seeders, let peers):
            buffer.writeMultipleIntegers(Action.announce.rawValue, tid, interval, leechers, seeders)
            for peer in peers { buffer.writeBytes(peer.compact) }
        case .scrapeResponse(let tid, let entries):
            buffer.writeMultipleIntegers(Action.scrape.rawValue, tid)
            for e in entries {
                buffer.writeMultipleIntegers(UInt32(clamping: e.complete), UInt32(clamping: e.downloaded),
                                             UInt32(clamping: e.incomplete))
            }
        case .error(let tid, let message):
            buffer.writeMultipleIntegers(Action.error.rawValue, tid)
            buffer.writeBytes(message.utf8.prefix(512))
        }
    }

    // MARK: Decoding

    /// Reads a client's request (server side). Bytes after a 98-byte announce (BEP 41 options)
    /// are ignored.
    /// - Returns: `nil` for a packet too short for its action, with a wrong protocol ID, or an
    ///   unknown action: such packets get no reply.
    public static func parseRequest(_ buffer: ByteBuffer) -> UDPTrackerMessage? {
        var b = buffer
        guard b.readableBytes >= 16, b.readableBytes <= maxPacketSize,
              let (connection, actionCode, tid) = b.readMultipleIntegers(as: (UInt64, UInt32, UInt32).self),
              let action = Action(rawValue: actionCode)
        else { return nil }
        switch action {
        case .connect:
            return connection == protocolID ? .connectRequest(transactionID: tid) : nil
        case .announce:
            guard b.readableBytes >= 82, let infoHash = b.readBytes(length: 20), let peerID = b.readBytes(length: 20),
                  let (downloaded, left, uploaded, eventCode, _, key, numWant, port) = b.readMultipleIntegers(
                      as: (Int64, Int64, Int64, UInt32, UInt32, UInt32, Int32, UInt16).self)
            else { return nil }
            let request = AnnounceRequest(
                infoHash: infoHash, peerID: peerID, port: port, uploaded: max(0, uploaded), downloaded: max(0, downloaded),
                left: max(0, left), event: AnnounceRequest.Event(udpCode: eventCode) ?? .none,
                numWant: numWant < 0 ? nil : Int(numWant), key: key)
            return .announceRequest(connectionID: connection, transactionID: tid, request: request)
        case .scrape:
            let count = b.readableBytes / 20
            guard count >= 1, count <= maxScrapeHashes else { return nil }
            var hashes: [[UInt8]] = []
            for _ in 0..<count { hashes.append(b.readBytes(length: 20)!) }
            return .scrapeRequest(connectionID: connection, transactionID: tid, infoHashes: hashes)
        case .error:
            return nil
        }
    }

    /// Reads a tracker's reply (client side).
    /// - Parameter addressLength: 4 or 16, the family of the socket the reply came on.
    /// - Returns: `nil` for a malformed packet.
    public static func parseResponse(_ buffer: ByteBuffer, addressLength: Int) -> UDPTrackerMessage? {
        var b = buffer
        guard b.readableBytes >= 8, b.readableBytes <= maxPacketSize,
              let (actionCode, tid) = b.readMultipleIntegers(as: (UInt32, UInt32).self),
              let action = Action(rawValue: actionCode)
        else { return nil }
        switch action {
        case .connect:
            guard let cid = b.readInteger(as: UInt64.self) else { return nil }
            return .connectResponse(transactionID: tid, connectionID: cid)
        case .announce:
            guard let (interval, leechers, seeders) = b.readMultipleIntegers(as: (UInt32, UInt32, UInt32).self),
                  let peers = TrackerPeer.parseCompact(b.readableBytesView, addressLength: addressLength)
            else { return nil }
            return .announceResponse(transactionID: tid, interval: interval, leechers: leechers, seeders: seeders,
                                     peers: peers)
        case .scrape:
            guard b.readableBytes % 12 == 0 else { return nil }
            var entries: [ScrapeEntry] = []
            while let (s, c, l) = b.readMultipleIntegers(as: (UInt32, UInt32, UInt32).self) {
                entries.append(ScrapeEntry(complete: Int(s), downloaded: Int(c), incomplete: Int(l)))
            }
            return .scrapeResponse(transactionID: tid, entries: entries)
        case .error:
            let text = b.readString(length: b.readableBytes) ?? ""
            return .error(transactionID: tid, message: text)
        }
    }
}
