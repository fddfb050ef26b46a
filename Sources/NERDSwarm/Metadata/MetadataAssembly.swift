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

    /// Each peer's `metadata_size`: kept per peer, so one liar's size cannot shut out the rest.
    private var sizes: [PeerAddress: Int] = [:]
    /// Each peer's pieces are kept apart and checked as a whole, so one liar cannot spoil
    /// what honest peers sent (pieces cannot be checked one by one).
    private var pieces: [PeerAddress: [Int: [UInt8]]] = [:]
    private var channels: [ObjectIdentifier: (channel: Channel, address: PeerAddress)] = [:]
    private var tried = Set<PeerAddress>()
    private var banned = Set<PeerAddress>()
    private var waiting: [PeerAddress] = []
    /// Dials a peer; the second argument counts earlier attempts at that peer.
    private var dialer: (@Sendable (PeerAddress, Int) -> EventLoopFuture<Void>)?
    private var attempts: [PeerAddress: Int] = [:]
    /// Dials per peer at most: a peer that is not up yet, or refused the first way in (plain or
    /// encrypted), is tried again a few seconds later.
    static let maxAttempts = 8
    private var active = 0
    private var done = false

    init(infoHash: [UInt8], loop: EventLoop, logger: Logger) {
        self.infoHash = infoHash
        self.loop = loop
        self.logger = logger
        promise = loop.makePromise()
    }

    /// A peer to try; dialled now or when a connection slot frees up.
    func offer(_ address: PeerAddress, dial: @escaping @Sendable (PeerAddress, Int) -> EventLoopFuture<Void>) async {
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
            let attempt = attempts[address, default: 0]
            attempts[address] = attempt + 1
            active += 1
            dialer(address, attempt).whenFailure { _ in
                self.active -= 1
                self.retryLater(address)
                self.dialNext()
            }
        }
    }

    /// Dials `address` again after 2, 4, ... (at most 10) seconds, up to ``maxAttempts`` in all.
    private func retryLater(_ address: PeerAddress) {
        let attempt = attempts[address, default: 0]
        guard !done, !banned.contains(address), attempt < Self.maxAttempts else { return }
        loop.scheduleTask(in: .seconds(Int64(min(2 * attempt, 10)))) {
            guard !self.done, !self.banned.contains(address), !self.waiting.contains(address),
                  !self.channels.values.contains(where: { $0.address == address })
            else { return }
            self.waiting.append(address)
            self.dialNext()
        }
    }

    func attached(_ channel: Channel, address: PeerAddress) { channels[ObjectIdentifier(channel)] = (channel, address) }

    func detached(_ channel: Channel) {
        guard let entry = channels.removeValue(forKey: ObjectIdentifier(channel)) else { return }
        // A peer that left takes its partial pieces with it (memory stays bounded by the
        // connections open now).
        pieces[entry.address] = nil
        sizes[entry.address] = nil
        active -= 1
        retryLater(entry.address)
        dialNext()
    }

    /// A peer announced `metadata_size`. - Returns: false if it is out of range (the peer is
    /// then dropped).
    func sizeAnnounced(_ size: Int, by address: PeerAddress) -> Bool {
        guard size > 0, size <= MetadataMessage.maxMetadataSize else { return false }
        sizes[address] = size
        return true
    }

    /// The next pieces to ask `address` for: those it has not sent yet, and not asked before.
    func piecesToRequest(from address: PeerAddress, limit: Int, excluding asked: Set<Int>) -> [Int] {
        guard let totalSize = sizes[address], !done, limit > 0 else { return [] }
        let have = pieces[address] ?? [:]
        return Array((0..<MetadataMessage.pieceCount(totalSize: totalSize)).lazy
            .filter { have[$0] == nil && !asked.contains($0) }.prefix(limit))
    }

    /// Stores a piece from `address`; once that peer has sent every piece, checks them
    /// against the info-hash: a match ends the fetch, a mismatch bans the peer.
    func received(piece: Int, totalSize size: Int, bytes: [UInt8], from address: PeerAddress) {
        guard !done, size == sizes[address], !banned.contains(address),
              bytes.count == MetadataMessage.length(ofPiece: piece, totalSize: size)
        else { return }
        pieces[address, default: [:]][piece] = bytes
        let set = pieces[address]!
        guard set.count == MetadataMessage.pieceCount(totalSize: size) else { return }
        var whole: [UInt8] = []
        whole.reserveCapacity(size)
        for index in 0..<set.count { whole += set[index]! }
        if SHA1.hash(whole) == infoHash {
            done = true
            promise.succeed(whole)
            closeAll()
            return
        }
        logger.warning("metadata does not match the info-hash; dropping the peer", metadata: ["peer": "\(address)"])
        banned.insert(address)
        pieces[address] = nil
        for entry in channels.values where entry.address == address { entry.channel.close(promise: nil) }
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
