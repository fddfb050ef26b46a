/// Which (torrent, peer) announces next, and when to stop issuing.
///
/// `--fill` walks every pair once, torrent by torrent; otherwise pairs are drawn at random
/// (seeded, so runs repeat). Issuing ends at the announce limit or the issue deadline,
/// whichever comes first; what is in flight then is still awaited by the caller.
struct Workload {
    let torrents: Int
    let peers: Int
    let fill: Bool
    let limit: Int?
    let seed: UInt64
    private var random: SplitMix64
    private(set) var issued = 0
    private(set) var started: UInt64 = 0
    private var deadline: UInt64 = 0
    private let issueNanoseconds: UInt64

    init(options: LoadOptions) {
        torrents = options.torrents
        peers = options.peers
        fill = options.fill
        limit = options.announceLimit
        seed = options.seed
        random = SplitMix64(state: options.seed ^ 0x5EED_5EED_5EED_5EED)
        issueNanoseconds = Clock.nanoseconds(options.issueSeconds)
    }

    /// Starts the clock: the issue deadline counts from here.
    mutating func start(now: UInt64) {
        started = now
        deadline = now + issueNanoseconds
    }

    /// Whether more announces may be issued at `now`.
    func mayIssue(now: UInt64) -> Bool {
        if let limit, issued >= limit { return false }
        return now < deadline
    }

    /// The next peer to announce; call only when ``mayIssue(now:)``.
    mutating func next() -> InfoHashes.Peer {
        defer { issued += 1 }
        if fill { return InfoHashes.Peer(torrent: issued / peers, peer: issued % peers, peers: peers) }
        return InfoHashes.Peer(torrent: random.next(below: torrents), peer: random.next(below: peers), peers: peers)
    }
}
