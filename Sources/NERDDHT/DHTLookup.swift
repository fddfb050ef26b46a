import NERDWire
import NIOCore

/// One iterative Kademlia lookup (BEP 5): α = 3 queries in flight, converging on the k
/// nodes closest to the target, done when each of those has answered or failed. A
/// `get_peers` lookup also gathers peers and the write tokens of the nodes that answered.
/// Confined to the DHT node's event loop.
final class DHTLookup {
    static let alpha = 3
    /// Queries one lookup may send at most.
    static let maxQueries = 256

    struct Result: Sendable {
        /// Compact peers found (`get_peers`), without duplicates.
        var peers: [[UInt8]]
        /// The closest nodes that answered, nearest first, with their write tokens.
        var closest: [(node: DHTNodeInfo, token: [UInt8]?)]
        var nodesQueried: Int
        /// Hops to the closest node that answered: 1 if it was known at the start, +1 for
        /// each reply that led to it.
        var hops: Int
        /// NERD terms given with peers, by compact peer.
        var terms: [[UInt8]: [UInt8]]
    }

    private enum State { case fresh, inFlight, answered, failed }

    private struct Candidate {
        var info: DHTNodeInfo
        var distance: NodeID
        var state: State
        var token: [UInt8]?
        /// 0 for nodes known at the start; 1 + the depth of the node that named it otherwise.
        var depth: Int
        /// A timed-out query is retried once: a lost datagram should not lose the nearest node.
        var retried = false
    }

    let target: NodeID
    let getPeers: Bool
    private let query: (DHTAddress) -> EventLoopFuture<KRPCArguments>
    /// Told of each new peer as its reply arrives, before the lookup ends (a download can
    /// dial it while the lookup waits on slow or dead nodes).
    var onPeer: ((DHTAddress) -> Void)?
    private let promise: EventLoopPromise<Result>
    private var candidates: [Candidate] = []
    private var seen = Set<DHTAddress>()
    private var unnamed: [DHTAddress]
    private var inFlight = 0
    private var queried = 0
    private var peers: [[UInt8]] = []
    private var peerSet = Set<[UInt8]>()
    private var terms: [[UInt8]: [UInt8]] = [:]
    private var finished = false

    /// - Parameters:
    ///   - start: known nodes to begin from; `bootstrap`: addresses whose IDs are not known yet.
    ///   - query: sends `find_node` or `get_peers` for `target` and returns the reply.
    init(target: NodeID, getPeers: Bool, start: [DHTNodeInfo], bootstrap: [DHTAddress], loop: EventLoop,
         query: @escaping (DHTAddress) -> EventLoopFuture<KRPCArguments>) {
        self.target = target
        self.getPeers = getPeers
        self.query = query
        promise = loop.makePromise()
        unnamed = bootstrap
        for info in start { add(info) }
    }

    func run() -> EventLoopFuture<Result> {
        step()
        return promise.futureResult
    }

    private func add(_ info: DHTNodeInfo, depth: Int = 0) {
        guard info.address.isUsableDestination, seen.insert(info.address).inserted else { return }
        let candidate = Candidate(info: info, distance: info.id.distance(to: target), state: .fresh, depth: depth)
        let index = candidates.firstIndex { candidate.distance < $0.distance } ?? candidates.endIndex
        guard index < Self.maxCandidates else { return }
        candidates.insert(candidate, at: index)
        // Only the nearest nodes can matter; a reply full of far nodes must not grow the list.
        if candidates.count > Self.maxCandidates,
           let farthest = candidates.lastIndex(where: { $0.state == .fresh || $0.state == .failed }) {
            candidates.remove(at: farthest)
        }
    }

    /// Candidates kept, nearest first: far more than the k × α the lookup can use.
    static let maxCandidates = 256

    /// How many candidates the lookup holds now.
    var candidateCount: Int { candidates.count }

    private func step() {
        guard !finished else { return }
        // Addresses without IDs (bootstrap) are asked first; their answers name them.
        while inFlight < Self.alpha, queried < Self.maxQueries, !unnamed.isEmpty {
            let address = unnamed.removeFirst()
            guard seen.insert(address).inserted else { continue }
            send(to: address, candidate: nil)
        }
        let live = candidates.indices.filter { candidates[$0].state != .failed }.prefix(RoutingTable.k)
        for index in live where inFlight < Self.alpha && queried < Self.maxQueries && candidates[index].state == .fresh {
            candidates[index].state = .inFlight
            send(to: candidates[index].info.address, candidate: candidates[index].info.id)
        }
        if inFlight == 0 { finish() }
    }

    private func send(to address: DHTAddress, candidate id: NodeID?) {
        inFlight += 1
        queried += 1
        // The lookup lives on the node's loop, where the query's future completes too.
        query(address).hop(to: promise.futureResult.eventLoop).assumeIsolated().whenComplete { result in
            self.inFlight -= 1
            let index = id.flatMap { id in self.candidates.firstIndex { $0.info.id == id } }
            var depth = index.map { self.candidates[$0].depth } ?? 0
            switch result {
            case .success(let reply):
                if let index {
                    self.candidates[index].state = .answered
                    self.candidates[index].token = reply.token
                } else if let replyID = reply.id {
                    // A bootstrap node: now it has a name, it is a candidate like any other.
                    self.seen.remove(address)
                    self.add(DHTNodeInfo(id: replyID, ip: address.ip, port: address.port))
                    if let i = self.candidates.firstIndex(where: { $0.info.address == address }) {
                        self.candidates[i].state = .answered
                        self.candidates[i].token = reply.token
                        depth = self.candidates[i].depth
                    }
                }
                for node in reply.nodes + reply.nodes6 { self.add(node, depth: depth + 1) }
                if self.getPeers {
                    for value in reply.values where DHTAddress(compact: value)?.isUsableDestination == true && self.peerSet.insert(value).inserted {
                        self.peers.append(value)
                        if let peer = DHTAddress(compact: value) { self.onPeer?(peer) }
                    }
                    if let nerd = reply.nerd?.entries {
                        for entry in nerd where self.peerSet.contains(entry.key) {
                            self.terms[entry.key] = try? BencodeEncoder.encode(entry.value)
                        }
                    }
                }
            case .failure:
                if let index {
                    if self.candidates[index].retried {
                        self.candidates[index].state = .failed
                    } else {
                        self.candidates[index].retried = true
                        self.candidates[index].state = .fresh
                    }
                }
            }
            self.step()
        }
    }

    private func finish() {
        finished = true
        let answered = candidates.filter { $0.state == .answered }
        let closest = answered.prefix(RoutingTable.k).map { ($0.info, $0.token) }
        promise.succeed(Result(peers: peers, closest: Array(closest), nodesQueried: queried, hops: (answered.first?.depth ?? -1) + 1,
                               terms: terms))
    }
}
