import NERDCrypto
import NERDWire
import NIOCore

/// Write tokens bound to the requester's IP from a secret that rotates every five minutes;
/// a token is accepted while its secret is current or previous (5–10 minutes), as BEP 5 asks.
struct TokenIssuer {
    static let rotation = TimeAmount.minutes(5)
    private var secrets = (current: SecureRandom.bytes(count: 16), previous: SecureRandom.bytes(count: 16))
    private var rotated = NIODeadline.now()

    mutating func token(for ip: [UInt8], now: NIODeadline) -> [UInt8] {
        rotate(now)
        return Array(SHA1.hash(secrets.current + ip).prefix(8))
    }

    mutating func isValid(_ token: [UInt8], for ip: [UInt8], now: NIODeadline) -> Bool {
        rotate(now)
        return token == Array(SHA1.hash(secrets.current + ip).prefix(8)) || token == Array(SHA1.hash(secrets.previous + ip).prefix(8))
    }

    private mutating func rotate(_ now: NIODeadline) {
        guard now - rotated >= Self.rotation else { return }
        secrets = (SecureRandom.bytes(count: 16), secrets.current)
        rotated = now
    }
}

/// Peers announced to this node (`announce_peer`), by info-hash, with expiry and bounds.
struct PeerStore {
    static let peerLifetime = TimeAmount.minutes(30)
    static let maxInfoHashes = 10_000
    static let maxPeersPerInfoHash = 1000
    /// Peers over all info-hashes at most.
    static let maxPeers = 200_000
    /// Largest NERD terms dictionary kept per peer, encoded.
    static let maxTermsSize = 512

    struct Entry {
        var expires: NIODeadline
        var terms: BencodeValue?
    }

    private(set) var peers: [NodeID: [[UInt8]: Entry]] = [:]
    private var total = 0

    /// Ports kept per IP address and info-hash: several peers behind one address (a seed and
    /// a downloader on one host, a NAT) are all found, and one address still cannot fill the
    /// store by varying the port.
    static let maxPortsPerAddress = 8

    /// Stores a peer by its address and port (as libtorrent keys its DHT peers). Past
    /// ``maxPortsPerAddress`` ports of one address, the one announced longest ago gives way.
    mutating func add(_ compact: [UInt8], for infoHash: NodeID, terms: BencodeValue?, now: NIODeadline) {
        if peers[infoHash] == nil {
            guard peers.count < Self.maxInfoHashes, total < Self.maxPeers else { return }
            peers[infoHash] = [:]
        }
        let ip = compact.dropLast(2)
        let sameAddress = peers[infoHash]!.filter { $0.key.dropLast(2) == ip && $0.key != compact }
        if peers[infoHash]![compact] == nil, sameAddress.count >= Self.maxPortsPerAddress,
           let oldest = sameAddress.min(by: { $0.value.expires < $1.value.expires })?.key {
            peers[infoHash]![oldest] = nil
            total -= 1
        }
        let isNew = peers[infoHash]![compact] == nil
        guard !isNew || (peers[infoHash]!.count < Self.maxPeersPerInfoHash && total < Self.maxPeers) else { return }
        if isNew { total += 1 }
        let small = terms.flatMap { value in
            ((try? BencodeEncoder.encode(value))?.count ?? .max) <= Self.maxTermsSize ? value : nil
        }
        peers[infoHash]![compact] = Entry(expires: now + Self.peerLifetime, terms: small)
    }

    /// Up to `limit` live peers, in random order, with their NERD terms where announced.
    func lookup(_ infoHash: NodeID, limit: Int, now: NIODeadline) -> [(compact: [UInt8], terms: BencodeValue?)] {
        guard let entries = peers[infoHash] else { return [] }
        return entries.filter { $0.value.expires > now }.shuffled().prefix(limit).map { ($0.key, $0.value.terms) }
    }

    mutating func expire(now: NIODeadline) {
        for key in peers.keys {
            peers[key] = peers[key]!.filter { $0.value.expires > now }
            if peers[key]!.isEmpty { peers[key] = nil }
        }
        total = peers.values.reduce(0) { $0 + $1.count }
    }

    /// Up to `count` random info-hashes held (BEP 51).
    func sample(_ count: Int) -> [NodeID] { Array(peers.keys.shuffled().prefix(count)) }
}
