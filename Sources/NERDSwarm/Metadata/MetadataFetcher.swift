import Logging
import NERDCrypto
import NERDWire
import NIOCore
import NIOPosix

/// Fetches a torrent's info dictionary from peers given only its v1 info-hash (BEP 9
/// `ut_metadata`), as a magnet link needs before anything can be downloaded.
///
/// Dials up to ``maxConnections`` peers at a time from a peer stream, asks each that
/// advertises `ut_metadata` and a `metadata_size` for the 16 KiB pieces still missing, and
/// checks the assembled bytes against the info-hash: metadata that does not hash to it is
/// discarded and every peer that contributed to it is dropped and not dialled again.
///
/// ```swift
/// let fetcher = MetadataFetcher(infoHash: magnet.infoHashes.v1!.bytes, peerID: session.peerID)
/// let info = try await fetcher.fetch(from: peers, timeout: .seconds(60))
/// let metainfo = try Metainfo(infoDictionary: info)
/// ```
public final class MetadataFetcher: Sendable {
    public static let maxConnections = 8

    public let infoHash: [UInt8]
    let peerID: [UInt8]
    let loopbackOnly: Bool
    let connectTimeout: TimeAmount
    let encryption: EncryptionPolicy
    let logger: Logger
    private let group: MultiThreadedEventLoopGroup

    /// - Parameters:
    ///   - infoHash: the 20-byte v1 info-hash.
    ///   - loopbackOnly: refuse peers off loopback (also set by `NERD_LOOPBACK_ONLY=1`).
    ///   - encryption: `.forced` opens every connection with an MSE handshake (RC4 stream),
    ///     `.disabled` none; `.enabled` dials plain first and encrypted when a peer is dialled
    ///     again (every peer is tried up to 8 times, 2–10 s apart, while the fetch lasts).
    public init(infoHash: [UInt8], peerID: [UInt8], loopbackOnly: Bool = false, connectTimeout: TimeAmount = .seconds(5),
                encryption: EncryptionPolicy = .enabled, logger: Logger = Logger(label: "nerd.metadata")) {
        precondition(infoHash.count == 20 && peerID.count == 20)
        self.infoHash = infoHash
        self.peerID = peerID
        self.loopbackOnly = loopbackOnly || LoopbackGuardSetting.fromEnvironment
        self.connectTimeout = connectTimeout
        self.encryption = encryption
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    deinit { group.shutdownGracefully { _ in } }

    /// Fetches and verifies the info dictionary.
    /// - Parameters:
    ///   - peers: addresses to try, as they are found (given peers, trackers, the DHT).
    ///   - timeout: give up after this long.
    /// - Returns: the bencoded info dictionary, whose SHA-1 is the info-hash.
    /// - Throws: ``SwarmError`` `.metadataUnavailable` when no peer supplied valid metadata in time.
    public func fetch(from peers: AsyncStream<PeerAddress>, timeout: Duration) async throws(SwarmError) -> [UInt8] {
        let loop = group.next()
        let assembly = MetadataAssembly(infoHash: infoHash, loop: loop, logger: logger)
        let dialer = Task {
            for await address in peers {
                if Task.isCancelled { break }
                if loopbackOnly && !address.isLoopback { continue }
                await assembly.offer(address) { self.dial($0, attempt: $1, assembly: assembly, loop: loop) }
            }
        }
        // Clamped to about 290 years, which nanoseconds in an Int64 still hold.
        let seconds = min(max(timeout.components.seconds, 0), Int64.max / 1_000_000_000 - 1)
        let timer = loop.scheduleTask(in: .nanoseconds(seconds * 1_000_000_000 + max(timeout.components.attoseconds, 0) / 1_000_000_000)) {
            assembly.fail(SwarmError(.metadataUnavailable, "no peer sent valid metadata within \(timeout)"))
        }
        defer {
            dialer.cancel()
            timer.cancel()
            assembly.closeAll()
        }
        do {
            return try await assembly.result.get()
        } catch let error as SwarmError {
            throw error
        } catch {
            throw SwarmError(.metadataUnavailable, "\(error)")
        }
    }

    /// `.enabled` dials plain first, then encrypted, alternating, so a peer that forces
    /// encryption and one that refuses it are both reached.
    private func dial(_ address: PeerAddress, attempt: Int, assembly: MetadataAssembly, loop: EventLoop) -> EventLoopFuture<Void> {
        let encrypted = encryption == .forced || (encryption == .enabled && attempt % 2 == 1)
        return ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if encrypted {
                        try sync.addHandler(PeerEncryptionHandler(role: .initiator(infoHash: self.infoHash), methods: .rc4))
                    }
                    try sync.addHandler(ByteToMessageHandler(PeerWireDecoder()))
                    try sync.addHandler(PeerWireEncoder())
                    try sync.addHandler(MetadataPeerHandler(assembly: assembly, address: address, infoHash: self.infoHash,
                                                            peerID: self.peerID))
                }
            }
            .connect(host: address.host, port: address.port)
            .map { _ in }
    }
}
