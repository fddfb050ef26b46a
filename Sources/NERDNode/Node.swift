import Logging
import NERDDHT
import NIOConcurrencyHelpers
import NERDSwarm
import NERDTracker
import NERDWire

/// A NERD node: a swarm session plus where its peers come from (given addresses, the
/// torrent's trackers) and how it is configured. This is what the `nerd` command runs and
/// what an embedding program starts.
///
/// ```swift
/// let node = Node(configuration: .init(listen: PeerAddress("127.0.0.1:0")))
/// try await node.start()
/// let torrent = try await node.add(metainfo: metainfo, savePath: "/srv/data",
///                                  peerSources: [StaticPeerSource([peer])])
/// ```
public final class Node: Sendable {
    public struct Configuration: Sendable {
        /// Where to accept peers (port 0 picks one); `nil` accepts none.
        public var listen: PeerAddress?
        /// Resume data folder; `nil` keeps none.
        public var stateDirectory: String?
        /// Refuse every address off loopback (tests, CI, demos); `NERD_LOOPBACK_ONLY=1` also sets it.
        public var loopbackOnly: Bool
        /// Announce to the trackers a torrent or magnet link names.
        public var useTrackers: Bool
        /// Trackers announced to for every torrent, as one more tier after the torrent's own,
        /// whether or not ``useTrackers`` is set.
        public var extraTrackers: [String]
        public var tracker: TrackerClient.Configuration
        /// Tracker announce settings: peers asked for, retry delay after a failed round (seconds).
        public var numWant: Int
        public var trackerRetryDelay: Int
        /// The DHT node to run (BEP 5); `nil` runs none. Private torrents never use it.
        public var dht: DHTNode.Configuration?
        /// Seconds between DHT lookups (and announces) per torrent.
        public var dhtInterval: Int
        /// Message Stream Encryption (MSE/PE) for peer connections, in and out.
        public var encryption: EncryptionPolicy
        /// Which BEP 6 `suggest` messages the swarm sends (default none, as libtorrent).
        public var suggestMode: SuggestMode = .none
        /// Ports tried upward from `listen`'s while each is taken; see
        /// ``SwarmSession/Configuration/listenPortAttempts``.
        public var listenPortAttempts = 1
        /// Most peer connections per torrent (``SwarmSession/Configuration/maxPeersPerTorrent``).
        public var maxPeersPerTorrent = 50
        /// Most peer connections over all torrents, incoming and outgoing
        /// (``SwarmSession/Configuration/maxConnections``).
        public var maxConnections = 500

        public init(listen: PeerAddress? = PeerAddress(host: "0.0.0.0", port: 6881), stateDirectory: String? = nil,
                    loopbackOnly: Bool = false, useTrackers: Bool = true, extraTrackers: [String] = [],
                    tracker: TrackerClient.Configuration = .init(), numWant: Int = 50, trackerRetryDelay: Int = 15,
                    dht: DHTNode.Configuration? = nil, dhtInterval: Int = 300, encryption: EncryptionPolicy = .enabled) {
            self.dht = dht
            self.encryption = encryption
            self.dhtInterval = dhtInterval
            self.listen = listen
            self.stateDirectory = stateDirectory
            self.loopbackOnly = loopbackOnly
            self.useTrackers = useTrackers
            self.extraTrackers = extraTrackers
            self.tracker = tracker
            self.numWant = numWant
            self.trackerRetryDelay = trackerRetryDelay
        }
    }

    public let configuration: Configuration
    public let session: SwarmSession
    public let trackerClient: TrackerClient
    /// The DHT node, when configured.
    public let dht: DHTNode?
    private let announcers = NIOLockedValueBox<[[UInt8]: TrackerAnnouncer]>([:])
    private let logger: Logger

    public init(configuration: Configuration, logger: Logger = Logger(label: "nerd.node")) {
        self.configuration = configuration
        self.logger = logger
        var sessionConfiguration = SwarmSession.Configuration(listen: configuration.listen, loopbackOnly: configuration.loopbackOnly,
                                                              stateDirectory: configuration.stateDirectory)
        sessionConfiguration.encryption = configuration.encryption
        sessionConfiguration.suggestMode = configuration.suggestMode
        sessionConfiguration.listenPortAttempts = configuration.listenPortAttempts
        sessionConfiguration.maxPeersPerTorrent = configuration.maxPeersPerTorrent
        sessionConfiguration.maxConnections = configuration.maxConnections
        session = SwarmSession(configuration: sessionConfiguration, logger: logger)
        var trackerConfiguration = configuration.tracker
        trackerConfiguration.loopbackOnly = trackerConfiguration.loopbackOnly || session.configuration.loopbackOnly
        trackerClient = TrackerClient(configuration: trackerConfiguration)
        dht = configuration.dht.map { config in
            var config = config
            config.loopbackOnly = config.loopbackOnly || configuration.loopbackOnly
            return DHTNode(configuration: config, logger: logger)
        }
    }

    /// The bound listen address, once started.
    public var listenAddress: PeerAddress? { session.listenAddress }

    /// Opens the listen socket and starts the DHT node (joining the network in the background).
    /// - Throws: ``SwarmError``, ``DHTError``.
    public func start() async throws {
        try await session.start()
        if let dht {
            try await dht.start()
            if let port = dht.listenAddress?.port { session.setDHTPort(port) }
            session.onDHTPort { address in
                if let node = DHTAddress("\(address)") { dht.ping(node) }
            }
            Task { await dht.bootstrap() }
        }
    }

    /// Adds a torrent, checks its data, and connects it to its peer sources and (unless
    /// turned off) its trackers.
    /// - Throws: ``SwarmError`` (v2-only torrent, storage, duplicate).
    public func add(metainfo: Metainfo, savePath: String, peerSources: [any PeerSource] = []) async throws -> Torrent {
        let torrent = try await session.add(metainfo: metainfo, savePath: savePath)
        for source in peerSources {
            if let fixed = source as? StaticPeerSource {
                // Given peers are kept connected (re-dialled), not dialled once.
                for address in fixed.addresses { session.connect(to: address, torrent: torrent) }
            } else {
                session.add(peerSource: source, torrent: torrent)
            }
        }
        if let dht, !metainfo.isPrivate {
            // Lookups and announces stop once the torrent is removed or stopped.
            let wanted: @Sendable () async -> Bool = {
                guard let status = try? await torrent.status() else { return false }
                return status.state != .stopped
            }
            let port = session.listenAddress.map { UInt16($0.port) }
            session.add(peerSource: DHTPeerSource(node: dht, announcePort: port, interval: .seconds(configuration.dhtInterval),
                                                  isWanted: wanted), torrent: torrent)
        }
        let tiers = (configuration.useTrackers ? metainfo.trackers : [])
            + (configuration.extraTrackers.isEmpty ? [] : [configuration.extraTrackers])
        if !tiers.isEmpty {
            let announcer = TrackerAnnouncer(
                configuration: .init(tiers: tiers, infoHash: torrent.infoHash, peerID: session.peerID,
                                     port: UInt16(session.listenAddress?.port ?? 0), numWant: configuration.numWant,
                                     retryDelay: configuration.trackerRetryDelay),
                client: trackerClient, logger: logger,
                progress: { (try? await torrent.status()).map(TrackerAnnouncer.Progress.init) })
            announcers.withLockedValue { $0[torrent.infoHash] = announcer }
            session.add(peerSource: TrackerPeerSource(announcer: announcer), torrent: torrent)
        }
        return torrent
    }

    /// The tracker announcer of a torrent, if it has trackers.
    public func announcer(for torrent: Torrent) -> TrackerAnnouncer? {
        announcers.withLockedValue { $0[torrent.infoHash] }
    }

    /// Removes a torrent: announces `stopped`, saves resume data, closes its peers.
    /// - Throws: ``SwarmError``.
    public func remove(_ torrent: Torrent) async throws {
        await announcers.withLockedValue { $0.removeValue(forKey: torrent.infoHash) }?.stop()
        try await session.remove(torrent)
    }

    /// Announces `stopped` to trackers (a few seconds at most), stops every torrent (saving
    /// resume data) and closes the sockets.
    public func shutdown() async {
        let all = announcers.withLockedValue { all in
            defer { all = [:] }
            return Array(all.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for announcer in all { group.addTask { await announcer.stop() } }
        }
        await trackerClient.shutdown()
        await dht?.shutdown()
        await session.shutdown()
    }
}
