import Logging
import NERDCrypto
import NERDWire
import NIOCore

/// The pieces of one info dictionary as they arrive from several peers; confined to one
/// event loop (every fetch connection runs on it).
final class MetadataAssembly: @unchecked Sendable {
    let infoHash: [UInt8]
    let loop: EventLoop
    let logger: Logger
    private let promise: EventLoopPromise<[UInt8]>
    var result: EventLoopFuture<[UInt8]> { promise.futureResult }

    private var totalSize: Int?
    private var pieces: [Int: (bytes: [UInt8], from: PeerAddress)] = [:]
    private var requested: [Int: Int] = [:]
    private var channels: [ObjectIdentifier: (channel: Channel, address: PeerAddress)] = [:]
    private var tried = Set<PeerAddress>()
    private var banned = Set<PeerAddress>()
    private var waiting: [PeerAddress] = []
    private var dialer: ((PeerAddress) -> EventLoopFuture<Void>)?
    private var active = 0
    private var done = false

    init(infoHash: [UInt8], loop: EventLoop, logger: Logger) {
        self.infoHash = infoHash
        self.loop = loop
        self.logger = logger
        promise = loop.makePromise()
    }

    /// A peer to try; dialled now or when a connection slot frees up.
    func offer(_ address: PeerAddress, dial: @escaping (PeerAddress) -> EventLoopFuture<Void>) async {
        try? await loop.submit {
            self.dialer = dial
            guard !self.done, !self.banned.contains(address), self.tried.insert(address).inserted else { return }
            self.waiting.append(address)
            self.dialNext()
        }.get()
    }

    private func dialNext() {
        guard let dialer else { return }
        while !done, active < MetadataFetcher.maxConnections, !waiting.isEmpty {
            let address = waiting.removeFirst()
            active += 1
            dialer(address).whenFailure { _ in
                self.active -= 1
                self.dialNext()
            }
        }
    }

    func attached(_ channel: Channel, address: PeerAddress) { channels[ObjectIdentifier(channel)] = (channel, address) }

    func detached(_ channel: Channel) {
        guard channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
        active -= 1
        dialNext()
    }

    /// A peer announced `metadata_size`. - Returns: false if it disagrees with other peers or
    /// is out of range (the peer is then dropped).
    func sizeAnnounced(_ size: Int) -> Bool {
        guard size > 0, size <= MetadataMessage.maxMetadataSize else { return false }
        if let totalSize { return totalSize == size }
        totalSize = size
        return true
    }

    /// The next pieces for a peer to request: missing ones nobody has asked for first, then
    /// (when all are asked for) missing ones again, so one slow peer cannot stall the fetch.
    func piecesToRequest(limit: Int, excluding asked: Set<Int>) -> [Int] {
        guard let totalSize, !done, limit > 0 else { return [] }
        let missing = (0..<MetadataMessage.pieceCount(totalSize: totalSize)).filter { pieces[$0] == nil && !asked.contains($0) }
        let fresh = missing.filter { requested[$0, default: 0] == 0 }
        let chosen = Array((fresh.isEmpty ? missing : fresh).prefix(limit))
        for piece in chosen { requested[piece, default: 0] += 1 }
        return chosen
    }

    /// Stores a piece; verifies once all are in. A mismatch bans every contributor.
    func received(piece: Int, totalSize size: Int, bytes: [UInt8], from address: PeerAddress) {
        guard !done, size == totalSize, pieces[piece] == nil,
              bytes.count == MetadataMessage.length(ofPiece: piece, totalSize: size)
        else { return }
        pieces[piece] = (bytes, address)
        guard pieces.count == MetadataMessage.pieceCount(totalSize: size) else { return }
        var whole: [UInt8] = []
        whole.reserveCapacity(size)
        for index in 0..<pieces.count { whole += pieces[index]!.bytes }
        if SHA1.hash(whole) == infoHash {
            done = true
            promise.succeed(whole)
            closeAll()
            return
        }
        let liars = Set(pieces.values.map(\.from))
        logger.warning("metadata does not match the info-hash; dropping its senders", metadata: ["peers": "\(liars)"])
        banned.formUnion(liars)
        pieces = [:]
        requested = [:]
        for entry in channels.values where liars.contains(entry.address) { entry.channel.close(promise: nil) }
    }

    func isBanned(_ address: PeerAddress) -> Bool { banned.contains(address) }

    func fail(_ error: SwarmError) {
        guard !done else { return }
        done = true
        promise.fail(error)
    }

    func closeAll() {
        loop.execute {
            for entry in self.channels.values { entry.channel.close(promise: nil) }
        }
    }
}
