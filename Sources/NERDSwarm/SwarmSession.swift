import Logging
import NERDCrypto
import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A BitTorrent session: one listen socket, many torrents, their peer connections.
///
/// All protocol state lives on one event loop (no locks on the hot path); hashing and disk
/// I/O run on a thread pool sized to the cores.
///
/// ```swift
/// let session = SwarmSession(configuration: .init(listen: PeerAddress("127.0.0.1:6881")))
/// try await session.start()
/// let torrent = try await session.add(metainfo: metainfo, savePath: "/downloads")
/// session.connect(to: PeerAddress("127.0.0.1:51413")!, torrent: torrent)
/// try await torrent.waitUntilComplete()
/// ```
///
/// `@unchecked Sendable`: `torrents` and `openConnections` are touched only on `eventLoop`;
/// the sockets sit behind a lock.
public final class SwarmSession: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Where to accept peers; `nil` accepts none (download only by dialling out).
        public var listen: PeerAddress?
        /// Ports tried upward from `listen`'s while each is taken (libtorrent also moves on
        /// from 6881), so two nodes on one host can both keep their default; 1 tries only the
        /// port given. Port 0 (any free port) needs no second try.
        public var listenPortAttempts = 1
        /// Refuse every non-loopback address (listen and connect); set by tests and CI, and
        /// by `NERD_LOOPBACK_ONLY=1` in the environment.
        public var loopbackOnly: Bool
        /// Where resume data is kept; `nil` keeps none.
        public var stateDirectory: String?
        /// Most peer connections per torrent.
        public var maxPeersPerTorrent: Int
        public var connectTimeout: TimeAmount
        /// Session-wide limits in bytes per second over all torrents; `nil` is unlimited.
        public var uploadLimit: Int?
        public var downloadLimit: Int?
        /// Most peer connections over all torrents, incoming and outgoing.
        public var maxConnections = 500
        /// How long a block request may go unanswered before the peer counts as snubbing us.
        public var requestTimeout: TimeAmount = .seconds(20)
        /// Message Stream Encryption (MSE/PE) for incoming and outgoing connections; see
        /// ``EncryptionPolicy`` (default `.enabled`, as libtorrent).
        public var encryption: EncryptionPolicy = .enabled
        /// How long a new connection may take to complete its handshakes (MSE, then BitTorrent).
        public var handshakeTimeout: TimeAmount = .seconds(15)
        /// Which BEP 6 `suggest` messages to send (default `.none`, as libtorrent); peers'
        /// suggestions are honoured regardless.
        public var suggestMode: SuggestMode = .none

        public init(listen: PeerAddress? = PeerAddress(host: "0.0.0.0", port: 6881), loopbackOnly: Bool = false,
                    stateDirectory: String? = nil, maxPeersPerTorrent: Int = 50, connectTimeout: TimeAmount = .seconds(5),
                    uploadLimit: Int? = nil, downloadLimit: Int? = nil) {
            self.uploadLimit = uploadLimit
            self.downloadLimit = downloadLimit
            self.listen = listen
            self.loopbackOnly = loopbackOnly || LoopbackGuardSetting.fromEnvironment
            self.stateDirectory = stateDirectory
            self.maxPeersPerTorrent = maxPeersPerTorrent
            self.connectTimeout = connectTimeout
        }
    }

    public let configuration: Configuration
    public let peerID: [UInt8]
    let group: MultiThreadedEventLoopGroup
    let eventLoop: EventLoop
    let threadPool: NIOThreadPool
    let logger: Logger
    private var torrents: [[UInt8]: Torrent] = [:]
    /// HASH('req2', info-hash) → wire info-hash, for finding the torrent of an encrypted
    /// handshake (MSE) without hashing every info-hash per connection (on the event loop).
    private var encryptionKeys: [[UInt8]: [UInt8]] = [:]
    /// Peers to dial plain next (their last encrypted attempt closed before the BitTorrent
    /// handshake), under ``EncryptionPolicy/enabled`` (on the event loop; bounded).
    private var dialPlainFirst: Set<PeerAddress> = []
    /// Peer connections open or being set up (on the event loop).
    private var openConnections = 0
    private let extensions = NIOLockedValueBox(ExtensionTable())
    private let dhtPortHandler = NIOLockedValueBox<(@Sendable (PeerAddress) -> Void)?>(nil)
    /// The UDP port of the node's DHT, shared with every torrent: set, handshakes carry the
    /// BEP 5 DHT bit and peers that carry it too get a `port` message.
    private let dhtPortBox = NIOLockedValueBox<UInt16?>(nil)
    /// Incoming encrypted handshakes answered per second (each costs two 768-bit modexps).
    private let mseBudget = MSEHandshakeBudget()
    private let uploadThrottle: Throttle
    private let downloadThrottle: Throttle
    private let sockets = NIOLockedValueBox<(listen: Channel?, utp: Channel?, address: PeerAddress?)>((nil, nil, nil))
    /// The bound listen address (with the real port when 0 was asked for).
    public var listenAddress: PeerAddress? { sockets.withLockedValue { $0.address } }

    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "nerd.swarm")) {
        self.configuration = configuration
        self.logger = logger
        peerID = Handshake.makePeerID(random: SecureRandom.bytes(count: 12))
        uploadThrottle = Throttle(rate: configuration.uploadLimit)
        downloadThrottle = Throttle(rate: configuration.downloadLimit)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        threadPool = NIOThreadPool(numberOfThreads: max(2, SystemInfo.activeProcessorCount))
        threadPool.start()
        register(MetadataServer { [weak self] infoHash in self?.torrent(wireInfoHash: infoHash)?.metainfo.infoBytes })
    }

    /// Opens the listen socket.
    /// - Throws: ``SwarmError`` `.loopbackGuard` or `.invalidAddress`.
    public func start() async throws {
        guard let listen = configuration.listen else { return }
        try checkGuard(listen)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Out of descriptors, accepting pauses instead of spinning on the failing accept.
            .serverChannelInitializer { [logger] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPauseHandler(report: { error, pauses in
                        logger.warning("out of descriptors or memory: peer accepts paused 1 s at a time", metadata: [
                            "reason": "\(socketErrorText(error))", "pauses": "\(pauses)",
                        ])
                    }))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64 * 1024, initial: 256 * 1024, maximum: 1 << 20))
            .childChannelInitializer { channel in
                let remote = channel.remoteAddress.flatMap { PeerAddress(socketAddress: $0) } ?? PeerAddress(host: "?", port: 0)
                // Incoming connections beyond the session's budget are closed at once.
                guard self.openConnections < self.configuration.maxConnections else {
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    try self.installHandlers(on: channel, torrent: nil, address: remote, encrypt: false)
                }
            }
        do {
            var port = listen.port
            var channel: Channel
            while true {
                do {
                    channel = try await bootstrap.bind(host: listen.host, port: port).get()
                    break
                } catch let error as IOError
                    where error.errnoCode == EADDRINUSE && port != 0 && port < listen.port + configuration.listenPortAttempts - 1 && port < 65535
                {
                    logger.info("listen port taken, trying the next", metadata: ["port": "\(port)"])
                    port += 1
                }
            }
            let bound = channel.localAddress.flatMap { PeerAddress(socketAddress: $0) }
            sockets.withLockedValue { $0 = (channel, nil, bound) }
            if let bound {
                // Refusing uTP on the same port makes a uTP attempt fail fast instead of timing out.
                let utp = try? await DatagramBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UTPRefuser()) }
                    }
                    .bind(host: bound.host, port: bound.port).get()
                sockets.withLockedValue { $0.utp = utp }
            }
            logger.info("listening", metadata: ["address": "\(listenAddress?.description ?? "?")"])
        } catch {
            throw SwarmError(.invalidAddress, "cannot listen on \(listen): \(socketErrorText(error))")
        }
    }

    /// Adds a v1 or hybrid torrent whose content is (or will be) `savePath/<name>`; checks
    /// what is on disk (or trusts matching resume data) before returning.
    /// - Throws: ``SwarmError`` `.unsupportedTorrent` for v2-only torrents,
    ///   `.duplicateTorrent`, `.storage`.
    public func add(metainfo: Metainfo, savePath: String) async throws -> Torrent {
        guard metainfo.infoHashes.v1 != nil else {
            throw SwarmError(.unsupportedTorrent, "v2-only transfer not supported yet (needs the BEP 52 hash messages)")
        }
        let wire = metainfo.infoHashes.wireBytes
        var resumePath = configuration.stateDirectory.map { dir -> String in
            _ = mkdir(dir, 0o755)
            return dir + "/" + Hex.encode(wire) + ".resume"
        }
        // A torrent already here is refused below; its lock is not to be mistaken for another run's.
        let present = try await eventLoop.submit { self.torrents[wire] != nil }.get()
        guard !present else { throw SwarmError(.duplicateTorrent, "torrent already added") }
        var resumeLock: FileLock?
        if let path = resumePath {
            switch FileLock.take(path + ".lock") {
            case .locked(let lock):
                resumeLock = lock
            case .heldElsewhere:
                logger.warning("another run holds this torrent's resume data: this one keeps none", metadata: ["path": "\(path)"])
                resumePath = nil
            case .unavailable:
                break
            }
        }
        let torrent = Torrent(metainfo: metainfo, savePath: savePath, eventLoop: eventLoop, threadPool: threadPool,
                              peerID: peerID, listenPort: listenAddress?.port ?? 0, resumePath: resumePath,
                              resumeLock: resumeLock, logger: logger)
        torrent.maxPeers = configuration.maxPeersPerTorrent
        torrent.extensions = extensions.withLockedValue { $0 }
        torrent.dhtPortHandler = dhtPortHandler.withLockedValue { $0 }
        torrent.dhtPort = dhtPortBox
        torrent.requestTimeout = configuration.requestTimeout
        torrent.suggestMode = configuration.suggestMode
        torrent.sessionUploadLimit = uploadThrottle
        torrent.sessionDownloadLimit = downloadThrottle
        let loop = eventLoop
        torrent.dialer = { [weak self, weak torrent] address in
            guard let self, let torrent else { return loop.makeSucceededVoidFuture() }
            return self.dial(address, torrent: torrent)
        }
        try await eventLoop.submit { () throws -> Void in
            guard self.torrents[wire] == nil else { throw SwarmError(.duplicateTorrent, "torrent already added") }
            for hash in [wire] + (torrent.v2WireHash.map { [$0] } ?? []) {
                self.torrents[hash] = torrent
                self.encryptionKeys[Self.encryptionKey(hash)] = hash
            }
        }.get()
        do {
            try torrent.storage.createEmptyFiles()
            try await torrent.start().get()
            torrent.eventLoop.execute { torrent.startThrottleTimerIfNeeded() }
        } catch {
            _ = try? await eventLoop.submit { self.forget(torrent) }.get()
            throw error
        }
        return torrent
    }

    /// Adds a BEP 10 extension for torrents added from now on; a name registers once.
    public func register(_ peerExtension: any PeerExtension) {
        extensions.withLockedValue { $0.add(peerExtension) }
    }

    /// Receives the DHT addresses peers announce with BEP 5 `port` messages (the peer's IP
    /// and the UDP port it gave), for torrents added after this call. Called on the session's
    /// event loop; keep it quick.
    public func onDHTPort(_ handler: @escaping @Sendable (PeerAddress) -> Void) {
        dhtPortHandler.withLockedValue { $0 = handler }
    }

    /// Announces a DHT node at this UDP port to peers (BEP 5): the DHT bit in every handshake
    /// from now on, and a `port` message to each peer that sets the bit too. nil stops it.
    public func setDHTPort(_ port: UInt16?) {
        dhtPortBox.withLockedValue { $0 = port }
    }

    /// Stops a torrent (saving resume data) and forgets it; its files stay on disk.
    public func remove(_ torrent: Torrent) async throws {
        try await torrent.stop().get()
        try await eventLoop.submit { self.forget(torrent) }.get()
    }

    private func forget(_ torrent: Torrent) {
        for hash in [torrent.infoHash] + (torrent.v2WireHash.map { [$0] } ?? []) {
            torrents[hash] = nil
            encryptionKeys[Self.encryptionKey(hash)] = nil
        }
    }

    /// HASH('req2', SKEY), what an MSE initiator reveals of the info-hash (obfuscated).
    static func encryptionKey(_ infoHash: [UInt8]) -> [UInt8] { SHA1.hash(Array("req2".utf8) + infoHash) }

    /// Dials a peer for a torrent, and again every few seconds while not connected to it;
    /// failures are logged, not thrown (peers come and go).
    public func connect(to address: PeerAddress, torrent: Torrent) {
        do { try checkGuard(address) } catch {
            logger.warning("refusing peer", metadata: ["peer": "\(address)", "error": "\(error)"])
            return
        }
        torrent.keepConnected(to: address)
    }

    /// One outgoing connection attempt; the future completes when it has connected or failed.
    func dial(_ address: PeerAddress, torrent: Torrent) -> EventLoopFuture<Void> {
        eventLoop.preconditionInEventLoop()
        guard openConnections < configuration.maxConnections else { return eventLoop.makeSucceededVoidFuture() }
        let encrypt = switch configuration.encryption {
        case .forced: true
        case .enabled: !dialPlainFirst.contains(address)
        case .disabled: false
        }
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64 * 1024, initial: 256 * 1024, maximum: 1 << 20))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try self.installHandlers(on: channel, torrent: torrent, address: address, encrypt: encrypt)
                }
            }
            .connect(host: address.host, port: address.port)
            .map { _ in }
            .flatMapErrorThrowing { error in
                self.logger.debug("connect failed", metadata: ["peer": "\(address)", "error": "\(error)"])
            }
    }

    /// Dials every peer a source yields, for as long as it yields them.
    public func add(peerSource: any PeerSource, torrent: Torrent) {
        let stream = peerSource.peers(infoHash: torrent.infoHash)
        Task {
            for await address in stream {
                guard (try? self.checkGuard(address)) != nil else { continue }
                torrent.dialOnce(address)
            }
        }
    }

    func torrent(wireInfoHash: [UInt8]) -> Torrent? {
        eventLoop.preconditionInEventLoop()
        return torrents[wireInfoHash]
    }

    /// - Parameter encrypt: outgoing only: open with an MSE handshake. Incoming connections
    ///   get an MSE receiver unless the policy is `.disabled`.
    private func installHandlers(on channel: Channel, torrent: Torrent?, address: PeerAddress, encrypt: Bool) throws {
        eventLoop.preconditionInEventLoop()
        openConnections += 1
        channel.closeFuture.whenComplete { _ in self.openConnections -= 1 }
        let handlers = channel.pipeline.syncOperations
        let policy = configuration.encryption
        if let torrent, encrypt {
            try handlers.addHandler(PeerEncryptionHandler(role: .initiator(infoHash: torrent.infoHash), methods: policy.methods,
                                                          timeout: configuration.handshakeTimeout))
        } else if torrent == nil, policy != .disabled {
            let role = PeerEncryptionHandler.Role.receiver(acceptPlain: policy == .enabled) { [weak self] key in
                self?.encryptionKeys[key]
            }
            try handlers.addHandler(PeerEncryptionHandler(role: role, methods: policy.methods, timeout: configuration.handshakeTimeout,
                                                          budget: mseBudget))
        }
        try handlers.addHandler(ByteToMessageHandler(PeerWireDecoder()))
        try handlers.addHandler(PeerWireEncoder())
        try handlers.addHandler(PeerChannelHandler(session: self, torrent: torrent, address: address, encrypted: encrypt))
    }

    /// An outgoing connection closed before the peer's BitTorrent handshake. Under `.enabled`
    /// the next dial to it switches between encrypted and plain, as libtorrent does, so a
    /// peer that drops one kind is reached with the other.
    func dialFailedBeforeHandshake(_ address: PeerAddress, encrypted: Bool) {
        eventLoop.preconditionInEventLoop()
        guard configuration.encryption == .enabled else { return }
        if encrypted {
            // Bounded: forgetting everyone merely means trying encryption first again.
            if dialPlainFirst.count >= 10_000 { dialPlainFirst.removeAll() }
            dialPlainFirst.insert(address)
        } else {
            dialPlainFirst.remove(address)
        }
    }

    private func checkGuard(_ address: PeerAddress) throws(SwarmError) {
        if configuration.loopbackOnly, !address.isLoopback {
            throw SwarmError(.loopbackGuard, "\(address) is not a loopback address and the loopback-only guard is on")
        }
    }

    /// Stops every torrent (saving resume data), closes the listener, frees the threads.
    public func shutdown() async {
        // A hybrid torrent is in the table under both its hashes: stopped once.
        let all = (try? await eventLoop.submit { self.torrents.filter { $0.key == $0.value.infoHash }.map(\.value) }.get()) ?? []
        for torrent in all { try? await torrent.stop().get() }
        let (listen, utp, _) = sockets.withLockedValue { $0 }
        try? await listen?.close().get()
        try? await utp?.close().get()
        try? await threadPool.shutdownGracefully()
        try? await group.shutdownGracefully()
    }
}

extension PeerAddress {
    init?(socketAddress: SocketAddress) {
        guard let ip = socketAddress.ipAddress, let port = socketAddress.port else { return nil }
        self.init(host: ip, port: port)
    }
}

extension Torrent {
    /// A snapshot of the transfer.
    public func status() async throws -> TorrentStatus { try await status().get() }

    /// Returns once every piece is verified and on disk.
    public func waitUntilComplete() async throws { try await waitUntilComplete().get() }
}
