/// One announce (BEP 3 HTTP, BEP 15 UDP): who the peer is and how far it has got.
public struct AnnounceRequest: Sendable, Hashable {
    /// The `event` of an announce; `none` is a regular re-announce.
    public enum Event: String, Sendable, Hashable {
        case none = ""
        case started
        case completed
        case stopped

        /// The BEP 15 event number.
        public var udpCode: UInt32 {
            switch self {
            case .none: 0
            case .completed: 1
            case .started: 2
            case .stopped: 3
            }
        }

        public init?(udpCode: UInt32) {
            switch udpCode {
            case 0: self = .none
            case 1: self = .completed
            case 2: self = .started
            case 3: self = .stopped
            default: return nil
            }
        }
    }

    /// The 20-byte info-hash (a v2 info-hash is truncated to 20 bytes, as BEP 52 says).
    public var infoHash: [UInt8]
    /// The 20-byte peer ID.
    public var peerID: [UInt8]
    /// The peer's TCP listen port.
    public var port: UInt16
    /// Payload bytes sent, received, and still wanted.
    public var uploaded: Int64
    public var downloaded: Int64
    public var left: Int64
    public var event: Event
    /// Peers wanted; `nil` leaves it to the tracker (BEP 15 sends -1).
    public var numWant: Int?
    /// A random number the client keeps across announces (identifies it if its IP changes).
    public var key: UInt32?
    /// Ask for compact peers (BEP 23). Every modern client does.
    public var compact: Bool
    /// Omit peer IDs from non-compact replies.
    public var noPeerID: Bool
    /// NERD extension: the announcing peer's payment terms.
    public var terms: PaymentTerms?
    /// NERD extension: ask for the terms of the peers returned.
    public var wantsTerms: Bool

    public init(infoHash: [UInt8], peerID: [UInt8], port: UInt16, uploaded: Int64 = 0, downloaded: Int64 = 0,
                left: Int64, event: Event = .none, numWant: Int? = nil, key: UInt32? = nil, compact: Bool = true,
                noPeerID: Bool = true, terms: PaymentTerms? = nil, wantsTerms: Bool = false) {
        self.infoHash = infoHash
        self.peerID = peerID
        self.port = port
        self.uploaded = uploaded
        self.downloaded = downloaded
        self.left = left
        self.event = event
        self.numWant = numWant
        self.key = key
        self.compact = compact
        self.noPeerID = noPeerID
        self.terms = terms
        self.wantsTerms = wantsTerms
    }

    /// Whether the peer has everything.
    public var isSeeder: Bool { left == 0 }
}

/// A tracker's answer to an announce.
public struct AnnounceResponse: Sendable, Hashable {
    /// Seconds until the next regular announce.
    public var interval: Int
    /// Seconds a client must wait at least between announces, if given.
    public var minInterval: Int?
    /// Seeders and leechers in the swarm, if given.
    public var complete: Int?
    public var incomplete: Int?
    public var peers: [TrackerPeer]
    /// A non-fatal message from the tracker.
    public var warning: String?
    /// NERD extension: terms of returned peers that announced them.
    public var terms: [TrackerPeer: PaymentTerms]

    public init(interval: Int, minInterval: Int? = nil, complete: Int? = nil, incomplete: Int? = nil,
                peers: [TrackerPeer] = [], warning: String? = nil, terms: [TrackerPeer: PaymentTerms] = [:]) {
        self.interval = interval
        self.minInterval = minInterval
        self.complete = complete
        self.incomplete = incomplete
        self.peers = peers
        self.warning = warning
        self.terms = terms
    }
}

/// A tracker's counts for one torrent (BEP 48 scrape, BEP 15 scrape).
public struct ScrapeEntry: Sendable, Hashable {
    /// Seeders.
    public var complete: Int
    /// Completed downloads the tracker has seen.
    public var downloaded: Int
    /// Leechers.
    public var incomplete: Int

    public init(complete: Int, downloaded: Int, incomplete: Int) {
        self.complete = complete
        self.downloaded = downloaded
        self.incomplete = incomplete
    }
}
