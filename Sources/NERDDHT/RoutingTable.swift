import NIOCore

/// The Kademlia routing table (BEP 5): k-buckets of nodes by shared prefix with our ID, the
/// bucket holding our own ID split as it fills, a small replacement cache per bucket.
///
/// Bucket `i` (for `i < count - 1`) holds nodes sharing exactly `i` leading bits with our ID;
/// the last bucket holds every node sharing more.
struct RoutingTable {
    static let k = 8
    /// A node is good if it answered within this time.
    static let goodFor = TimeAmount.minutes(15)
    /// Failed queries after which a node is bad and may be replaced.
    static let maxFailures = 2

    struct Entry {
        var info: DHTNodeInfo
        var lastResponse: NIODeadline?
        var failures = 0
        /// Whether the ID follows BEP 42 for the node's address (local addresses always do).
        var compliant: Bool
        /// A ping is out to a node that so far only queried us.
        var verifying = false

        init(info: DHTNodeInfo, lastResponse: NIODeadline? = nil) {
            self.info = info
            self.lastResponse = lastResponse
            compliant = info.id.isSecure(for: info.ip)
        }

        func isGood(now: NIODeadline) -> Bool {
            guard let lastResponse else { return false }
            return failures == 0 && now - lastResponse < RoutingTable.goodFor
        }

        var isBad: Bool { failures >= RoutingTable.maxFailures }
    }

    struct Bucket {
        var nodes: [Entry] = []
        var replacements: [DHTNodeInfo] = []
        var lastChanged = NIODeadline.now()
    }

    let ownID: NodeID
    private(set) var buckets: [Bucket] = [Bucket()]

    init(ownID: NodeID) { self.ownID = ownID }

    var count: Int { buckets.reduce(0) { $0 + $1.nodes.count } }

    func bucketIndex(for id: NodeID) -> Int { min(ownID.commonPrefixLength(with: id), buckets.count - 1) }

    /// Records that a node answered us (or queried us: `responded` false).
    /// - Returns: whether it is in the table now.
    @discardableResult
    mutating func heard(from info: DHTNodeInfo, responded: Bool, now: NIODeadline = .now()) -> Bool {
        guard info.id != ownID else { return false }
        var index = bucketIndex(for: info.id)
        if let i = buckets[index].nodes.firstIndex(where: { $0.info.id == info.id }) {
            // Same ID from another address is ignored: the first address wins (BEP 5 guidance).
            guard buckets[index].nodes[i].info.address == info.address else { return true }
            if responded {
                buckets[index].nodes[i].lastResponse = now
                buckets[index].nodes[i].failures = 0
            }
            buckets[index].lastChanged = now
            return true
        }
        // One node per address: a new ID from a known address replaces nothing.
        if buckets.contains(where: { $0.nodes.contains { $0.info.address == info.address } }) { return false }
        while buckets[index].nodes.count >= Self.k {
            if let bad = buckets[index].nodes.firstIndex(where: \.isBad) {
                buckets[index].nodes.remove(at: bad)
                break
            }
            guard index == buckets.count - 1, buckets.count < 160 else {
                remember(info, in: index)
                return false
            }
            split()
            index = bucketIndex(for: info.id)
        }
        buckets[index].nodes.append(Entry(info: info, lastResponse: responded ? now : nil))
        buckets[index].lastChanged = now
        return true
    }

    /// Marks a node that only queried us so far as being pinged.
    /// - Returns: true if it needs that ping (in the table, never answered, not pinged yet).
    mutating func startVerifying(_ id: NodeID) -> Bool {
        let index = bucketIndex(for: id)
        guard let i = buckets[index].nodes.firstIndex(where: { $0.info.id == id }),
              buckets[index].nodes[i].lastResponse == nil, !buckets[index].nodes[i].verifying
        else { return false }
        buckets[index].nodes[i].verifying = true
        return true
    }

    /// A query to this node timed out; bad nodes give way to a replacement if one waits.
    mutating func failed(_ id: NodeID) {
        let index = bucketIndex(for: id)
        guard let i = buckets[index].nodes.firstIndex(where: { $0.info.id == id }) else { return }
        buckets[index].nodes[i].failures += 1
        if buckets[index].nodes[i].isBad, !buckets[index].replacements.isEmpty {
            buckets[index].nodes.remove(at: i)
            let next = buckets[index].replacements.removeLast()
            buckets[index].nodes.append(Entry(info: next))
        }
    }

    /// The `count` known nodes closest to `target`: bad ones last, and nodes whose IDs break
    /// BEP 42 after those that follow it (as libtorrent prefers verified IDs); only IPv4 or
    /// only IPv6 nodes when `addressLength` is 4 or 16.
    func closest(to target: NodeID, count: Int = k, addressLength: Int? = nil, answeredOnly: Bool = false) -> [DHTNodeInfo] {
        buckets.flatMap(\.nodes).filter {
            (addressLength == nil || $0.info.ip.count == addressLength) && (!answeredOnly || $0.lastResponse != nil)
        }.sorted {
            if $0.isBad != $1.isBad { return !$0.isBad }
            if $0.compliant != $1.compliant { return $0.compliant }
            return $0.info.id.distance(to: target) < $1.info.id.distance(to: target)
        }.prefix(count).map(\.info)
    }

    /// Nodes not heard from recently (to ping) and buckets idle for 15 minutes (to refresh).
    func maintenance(now: NIODeadline) -> (questionable: [DHTNodeInfo], staleBuckets: [Int]) {
        let questionable = buckets.flatMap(\.nodes).filter { !$0.isGood(now: now) && !$0.isBad }.map(\.info)
        let stale = buckets.indices.filter { now - buckets[$0].lastChanged > Self.goodFor }
        return (questionable, stale)
    }

    /// A random ID that falls in bucket `index`.
    func randomID(inBucket index: Int) -> NodeID {
        var id = NodeID.random().bytes
        for bit in 0...min(index, 159) {
            let byte = bit / 8, mask = UInt8(0x80) >> UInt8(bit % 8)
            let own = ownID.bytes[byte] & mask
            // Share the first `index` bits; differ at bit `index` (unless it is the last bucket).
            if bit < index || index == buckets.count - 1 {
                id[byte] = (id[byte] & ~mask) | own
            } else {
                id[byte] = (id[byte] & ~mask) | (~own & mask)
            }
        }
        return NodeID(unchecked: id)
    }

    var allNodes: [DHTNodeInfo] { buckets.flatMap { $0.nodes.map(\.info) } }

    /// Nodes whose IDs break BEP 42.
    var nonCompliantCount: Int { buckets.reduce(0) { $0 + $1.nodes.count { !$0.compliant } } }

    private mutating func remember(_ info: DHTNodeInfo, in index: Int) {
        guard !buckets[index].replacements.contains(info) else { return }
        buckets[index].replacements.append(info)
        if buckets[index].replacements.count > Self.k { buckets[index].replacements.removeFirst() }
    }

    private mutating func split() {
        let last = buckets.count - 1
        let old = buckets[last]
        buckets[last] = Bucket()
        buckets.append(Bucket())
        for entry in old.nodes { buckets[min(ownID.commonPrefixLength(with: entry.info.id), last + 1)].nodes.append(entry) }
        for info in old.replacements {
            buckets[min(ownID.commonPrefixLength(with: info.id), last + 1)].replacements.append(info)
        }
    }
}
