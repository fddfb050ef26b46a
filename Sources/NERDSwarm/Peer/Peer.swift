import NERDWire
import NIOCore

/// One connected peer's protocol state, owned by its torrent on the session's event loop.
///
/// `@unchecked Sendable`: like its ``Torrent``, touched only on that event loop; closures
/// that capture it run there (disk completions and scheduled flushes are delivered on it).
final class Peer: @unchecked Sendable {
    let channel: Channel
    let address: PeerAddress
    let isOutgoing: Bool
    var peerID: [UInt8]
    var reserved: Handshake.Reserved
    var client: String?
    /// Whether the connection opened with MSE, and what the payload travels in.
    var encryption = ConnectionEncryption.none
    /// The peer's extension name → the ID it wants to receive that extension under (BEP 10).
    var extensionIDs: [String: UInt8] = [:]
    var bitfield: Bitfield
    /// Whether this peer already sent a BEP 5 `port` message.
    var sentDHTPort = false
    /// Set once a bitfield, have-all or have-none arrived (BEP 6 requires one first).
    var sentAvailability = false

    var amChoking = true
    var amInterested = false
    var peerChoking = true
    var peerInterested = false
    var optimisticUnchoke = false

    /// Our requests to the peer, with when they were sent.
    var outstanding: [BlockRequest: NIODeadline] = [:]
    /// Requests the peer made that wait for the upload limit, oldest first (entries no
    /// longer in `queuedLive` were cancelled and are skipped).
    var queued: [BlockRequest] = []
    var queuedHead = 0
    var queuedLive: Set<BlockRequest> = []
    /// Requests being read from disk → whether the peer cancelled them meanwhile. A slot is
    /// freed only when the read ends, so request/cancel churn cannot pile up disk work.
    var inFlight: [BlockRequest: Bool] = [:]

    /// Requests taking a serving slot.
    var servingCount: Int { queuedLive.count + inFlight.count }

    /// The oldest live queued request, removed from the queue.
    func popQueued() -> BlockRequest? {
        while queuedHead < queued.count {
            let request = queued[queuedHead]
            queuedHead += 1
            if queuedLive.remove(request) != nil {
                compactQueue()
                return request
            }
        }
        queued.removeAll(keepingCapacity: true)
        queuedHead = 0
        return nil
    }

    /// Drops consumed and cancelled entries once they dominate the queue.
    func compactQueue() {
        if queuedHead > 256 && queuedHead * 2 > queued.count {
            queued.removeFirst(queuedHead)
            queuedHead = 0
        }
        if queued.count - queuedHead > 2 * queuedLive.count + 256 {
            queued = queued[queuedHead...].filter { queuedLive.contains($0) }
            queuedHead = 0
        }
    }

    /// Forgets every queued request and marks reads in flight as cancelled (choke).
    func dropServing() {
        queued.removeAll(keepingCapacity: true)
        queuedHead = 0
        queuedLive.removeAll(keepingCapacity: true)
        for key in inFlight.keys { inFlight[key] = true }
    }
    /// Pieces the peer lets us request while it chokes us (BEP 6).
    var allowedFast: Set<UInt32> = []
    /// Pieces we let the peer request while we choke it (BEP 6).
    var offeredFast: Set<UInt32> = []
    /// Pieces the peer refused (BEP 6 `reject`) while unchoking us: it will not serve them
    /// now (a seed whose data went missing, say), so they are not asked of it again until it
    /// unchokes us anew. At most one entry per piece.
    var rejectedPieces: Set<UInt32> = []
    /// Pieces the peer suggested (BEP 6), oldest first; at most ``maxSuggestions``.
    var suggestedByPeer: [UInt32] = []
    static let maxSuggestions = 16
    /// Pieces we suggested to the peer, so each is suggested once (cleared when large).
    var suggestedToPeer: Set<UInt32> = []
    /// Outstanding requests the peer accepts (`reqq`, BEP 10).
    var maxRequests = 250
    var download = RateMeter()
    var upload = RateMeter()
    var lastReceived: NIODeadline
    var lastSent: NIODeadline
    /// Corrupt pieces this peer contributed to.
    var hashFailures = 0

    init(channel: Channel, address: PeerAddress, isOutgoing: Bool, handshake: Handshake, pieceCount: Int) {
        self.channel = channel
        self.address = address
        self.isOutgoing = isOutgoing
        self.peerID = handshake.peerID
        self.reserved = handshake.reserved
        self.bitfield = Bitfield(count: pieceCount)
        lastReceived = .now()
        lastSent = .now()
    }

    var supportsFast: Bool { reserved.contains(.fast) }
    var supportsExtensions: Bool { reserved.contains(.extensionProtocol) }

    /// The peer let a request time out: it gets one request at a time and no end-game
    /// duplicates until it delivers again.
    var snubbed = false

    /// Requests to keep in flight: about two seconds of the peer's current rate, at least 16.
    var requestTarget: Int {
        if snubbed { return 1 }
        let blocks = Int(download.rate * 2 / Double(BlockRequest.standardLength))
        return max(64, min(maxRequests, blocks))
    }

    func send(_ message: PeerMessage, flush: Bool = true) {
        lastSent = .now()
        if flush {
            channel.writeAndFlush(PeerWireFrame.message(message), promise: nil)
        } else {
            channel.write(PeerWireFrame.message(message), promise: nil)
        }
    }

    private var flushScheduled = false

    /// Flushes once after everything queued in this event-loop turn, so blocks read from
    /// disk together leave in one write.
    func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        channel.eventLoop.execute {
            self.flushScheduled = false
            self.channel.flush()
        }
    }

    /// A client name from the peer ID when the extension handshake gave none (Azureus style).
    var clientName: String {
        if let client { return client }
        if peerID.count >= 8, peerID[0] == UInt8(ascii: "-"), peerID[7] == UInt8(ascii: "-") {
            return String(decoding: peerID[1..<7], as: UTF8.self)
        }
        return "unknown"
    }
}
