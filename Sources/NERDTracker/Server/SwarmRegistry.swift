import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// SplitMix64: a fast, well-mixed generator for picking peers (not for secrets).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Every swarm a tracker knows, in memory, shared by its HTTP and UDP front ends.
///
/// Split into shards by info-hash, each behind its own lock, so announces on different
/// threads rarely wait for each other. Memory is bounded by ``Limits``: past them a new
/// torrent or peer is refused (the announce still gets peers back) rather than stored.
public final class SwarmRegistry: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Most torrents tracked at once.
        public var maxTorrents: Int
        /// Most peers in one torrent.
        public var maxPeersPerTorrent: Int
        /// Most peers over all torrents.
        public var maxPeers: Int
        /// Most peers one announce gets back (`numwant` is capped to this).
        public var maxNumWant: Int
        /// Peers returned when `numwant` is absent.
        public var defaultNumWant: Int
        /// Most peers one IPv4 address (distinct ports) or one IPv6 /64 may have in one torrent,
        /// so a single host cannot fill a swarm with made-up peers; room for several clients
        /// behind one NAT. 0 means no limit (a tracker behind a proxy, where every client
        /// shares the proxy's address).
        public var maxPeersPerAddress: Int

        public init(maxTorrents: Int = 2_000_000, maxPeersPerTorrent: Int = 200_000, maxPeers: Int = 20_000_000,
                    maxNumWant: Int = 200, defaultNumWant: Int = 50, maxPeersPerAddress: Int = 32) {
            self.maxPeersPerAddress = maxPeersPerAddress <= 0 ? .max : maxPeersPerAddress
            self.maxTorrents = maxTorrents
            self.maxPeersPerTorrent = maxPeersPerTorrent
            self.maxPeers = maxPeers
            self.maxNumWant = maxNumWant
            self.defaultNumWant = defaultNumWant
        }
    }

    /// What the tracker tells one announcing peer.
    public struct AnnounceResult: Sendable {
        public var complete: Int
        public var incomplete: Int
        /// Compact IPv4 (6 bytes each) and IPv6 (18 bytes each) peers.
        public var peers4: [UInt8]
        public var peers6: [UInt8]
        public var terms: [(compact: [UInt8], terms: PaymentTerms)]
        /// Why the announcing peer was not stored (a limit), if it was not.
        public var refused: TrackerError?
    }

    /// Totals, for logs and metrics.
    public struct Statistics: Sendable, Hashable {
        public var torrents: Int
        public var peers: Int
        public var seeders: Int
    }

    struct InfoHashKey: Hashable {
        var a: UInt64, b: UInt64, c: UInt32
        init(_ bytes: [UInt8]) {
            (a, b, c) = bytes.withUnsafeBytes { raw in
                (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
            }
        }
    }

    /// `@unchecked Sendable`: every `var` is read and written only while holding `lock`.
    private final class Shard: @unchecked Sendable {
        let lock = NIOLock()
        var swarms: [InfoHashKey: SwarmPeers] = [:]
        /// The allowed info-hashes that fall in this shard; `nil` tracks any. Kept per shard so
        /// the check happens under the lock an announce takes anyway, and a new list can be
        /// swapped in while announces go on.
        var allowed: Set<InfoHashKey>?
        /// For picking which peers to hand out; a seeded generator under the shard's lock
        /// instead of the system one, which costs a syscall per announce.
        var random = SplitMix64(seed: UInt64.random(in: .min ... .max))
    }

    public let limits: Limits
    /// Seconds without an announce after which a peer is dropped (at most 4 hours).
    public let peerTimeout: Int
    private let shards: [Shard]
    /// Torrents and peers over all shards, for the global limits: read before a swarm or peer
    /// is added and changed with it, so concurrent announces on other shards can pass a limit
    /// by at most one each.
    private let torrentTotal = Atomic<Int>(0)
    private let peerTotal = Atomic<Int>(0)
    /// Held for a whole allow-list swap, so two swaps cannot leave shards with different
    /// lists; announces never take it.
    private let allowListSwap = NIOLock()
    private let started = NIODeadline.now()

    /// - Parameters:
    ///   - allowList: if given, only these 20-byte info-hashes are tracked.
    public init(limits: Limits = Limits(), peerTimeout: Int = 2700, allowList: [[UInt8]]? = nil, shardCount: Int = 64) {
        self.limits = limits
        self.peerTimeout = min(max(peerTimeout, 1), 4 * 3600)
        shards = (0..<max(1, shardCount)).map { _ in Shard() }
        replaceAllowList(allowList)
    }

    /// Whether only allow-listed info-hashes are tracked.
    public var hasAllowList: Bool { shards[0].lock.withLock { shards[0].allowed != nil } }

    /// Puts a new allow-list in force while the tracker serves (opentracker rereads its list on
    /// SIGHUP; `nerd tracker` does the same). Swarms whose info-hash is no longer allowed are
    /// dropped with their peers and completed counts. Entries that are not 20 bytes are ignored.
    /// Safe to call from any thread while announces go on; concurrent calls take effect one
    /// after the other.
    /// - Parameter infoHashes: the 20-byte info-hashes to track; `nil` tracks every torrent.
    /// - Returns: how many swarms were dropped.
    @discardableResult
    public func replaceAllowList(_ infoHashes: [[UInt8]]?) -> Int {
        // Built outside the locks: a list can hold millions of hashes.
        var perShard: [Set<InfoHashKey>]? = infoHashes.map { _ in Array(repeating: [], count: shards.count) }
        for hash in infoHashes ?? [] where hash.count == 20 {
            perShard![Int(hash[19]) % shards.count].insert(InfoHashKey(hash))
        }
        var dropped = 0
        allowListSwap.lock()
        defer { allowListSwap.unlock() }
        for (index, shard) in shards.enumerated() {
            shard.lock.withLock {
                let allowed = perShard?[index]
                shard.allowed = allowed
                guard let allowed else { return }
                let gone = shard.swarms.keys.filter { !allowed.contains($0) }
                for key in gone {
                    peerTotal.subtract(shard.swarms.removeValue(forKey: key)?.count ?? 0, ordering: .relaxed)
                }
                torrentTotal.subtract(gone.count, ordering: .relaxed)
                dropped += gone.count
            }
        }
        return dropped
    }

    /// Seconds since the registry started (its stamp clock).
    var now: UInt32 { UInt32(truncatingIfNeeded: (NIODeadline.now() - started).nanoseconds / 1_000_000_000) }

    private func shard(for infoHash: [UInt8]) -> Shard { shards[Int(infoHash[19]) % shards.count] }

    /// Records an announce from `compactAddress` (the peer's IP as the socket saw it and its
    /// announced port: 6 or 18 bytes) and picks peers for it.
    /// - Throws: ``TrackerError`` `.notAllowed` for an info-hash off the allow-list.
    public func announce(_ request: AnnounceRequest, compactAddress: [UInt8]) throws(TrackerError) -> AnnounceResult {
        precondition(request.infoHash.count == 20 && (compactAddress.count == 6 || compactAddress.count == 18))
        let key = InfoHashKey(request.infoHash)
        let wanted = min(request.numWant ?? limits.defaultNumWant, limits.maxNumWant)
        let stamp = now
        let shard = shard(for: request.infoHash)
        var result = AnnounceResult(complete: 0, incomplete: 0, peers4: [], peers6: [], terms: [], refused: nil)
        var allowed = true
        shard.lock.withLock {
            if let list = shard.allowed, !list.contains(key) {
                allowed = false
                return
            }
            var index = shard.swarms.index(forKey: key)
            if index == nil {
                guard request.event != .stopped else { return }
                guard torrentTotal.load(ordering: .relaxed) < limits.maxTorrents else {
                    result.refused = TrackerError(.full, "tracker holds its maximum of torrents")
                    return
                }
                shard.swarms[key] = SwarmPeers()
                torrentTotal.add(1, ordering: .relaxed)
                index = shard.swarms.index(forKey: key)
            }
            let i = index!
            let fits = peerTotal.load(ordering: .relaxed) < limits.maxPeers
            // One in-place access to the swarm: record the announce, count, pick peers.
            let outcome = shard.swarms.values[i].announce(
                compact: compactAddress, seeder: request.isSeeder, event: request.event, stamp: stamp, terms: request.terms,
                mayAdd: fits, maxPeers: limits.maxPeersPerTorrent, maxPerAddress: limits.maxPeersPerAddress,
                // Port 0 means the peer takes no connections: it gets peers but is not handed out.
                storable: request.port != 0, wanted: request.event == .stopped ? 0 : wanted, withTerms: request.wantsTerms,
                peers4: &result.peers4, peers6: &result.peers6, random: &shard.random)
            switch outcome.change {
            case .added: peerTotal.add(1, ordering: .relaxed)
            case .removed: peerTotal.subtract(1, ordering: .relaxed)
            case .updated: break
            case .tooManyFromAddress:
                result.refused = TrackerError(.full, "this address holds its maximum of peers in the swarm")
            case .unchanged:
                if request.event != .stopped, request.port != 0 { result.refused = TrackerError(.full, "swarm or tracker holds its maximum of peers") }
            }
            result.complete = outcome.complete
            result.incomplete = outcome.incomplete
            result.terms = outcome.terms
            if outcome.isEmpty && outcome.downloaded == 0 {
                shard.swarms.remove(at: i)
                torrentTotal.subtract(1, ordering: .relaxed)
            }
        }
        guard allowed else { throw TrackerError(.notAllowed, "torrent not tracked here") }
        return result
    }

    /// Counts for each info-hash (zeros for unknown ones), in the order asked.
    public func scrape(_ infoHashes: [[UInt8]]) -> [ScrapeEntry] {
        infoHashes.map { hash in
            guard hash.count == 20 else { return ScrapeEntry(complete: 0, downloaded: 0, incomplete: 0) }
            let shard = shard(for: hash)
            return shard.lock.withLock {
                guard let swarm = shard.swarms[InfoHashKey(hash)] else {
                    return ScrapeEntry(complete: 0, downloaded: 0, incomplete: 0)
                }
                return ScrapeEntry(complete: Int(swarm.seeders), downloaded: Int(swarm.downloaded), incomplete: swarm.leechers)
            }
        }
    }

    /// Drops peers past ``peerTimeout`` and swarms left empty, shard by shard.
    /// - Returns: totals after the sweep.
    @discardableResult
    public func expire() -> Statistics {
        let stamp = now
        var totals = Statistics(torrents: 0, peers: 0, seeders: 0)
        for shard in shards {
            shard.lock.withLock {
                var emptied: [InfoHashKey] = []
                for index in shard.swarms.indices {
                    let dropped = shard.swarms.values[index].expire(now: stamp, timeout: UInt32(peerTimeout))
                    peerTotal.subtract(dropped, ordering: .relaxed)
                    let swarm = shard.swarms.values[index]
                    if swarm.isEmpty { emptied.append(shard.swarms.keys[index]) }
                    totals.peers += swarm.count
                    totals.seeders += Int(swarm.seeders)
                }
                // A swarm with no peers is forgotten, its completed count with it, to bound memory.
                for key in emptied { shard.swarms[key] = nil }
                torrentTotal.subtract(emptied.count, ordering: .relaxed)
                totals.torrents += shard.swarms.count
            }
        }
        return totals
    }

    /// Totals now, without expiring anything.
    public func statistics() -> Statistics {
        var totals = Statistics(torrents: 0, peers: 0, seeders: 0)
        for shard in shards {
            shard.lock.withLock {
                totals.torrents += shard.swarms.count
                for swarm in shard.swarms.values { totals.seeders += Int(swarm.seeders) }
            }
        }
        totals.peers = peerTotal.load(ordering: .relaxed)
        return totals
    }
}
