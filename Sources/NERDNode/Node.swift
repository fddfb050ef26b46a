import Logging
import NERDSwarm
import NERDWire

/// A NERD node: a swarm session plus where its peers come from and how it is configured.
/// This is what the `nerd` command runs and what an embedding program starts.
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
        /// Refuse every address off loopback (tests, CI, demos).
        public var loopbackOnly: Bool

        public init(listen: PeerAddress? = PeerAddress(host: "0.0.0.0", port: 6881), stateDirectory: String? = nil,
                    loopbackOnly: Bool = false) {
            self.listen = listen
            self.stateDirectory = stateDirectory
            self.loopbackOnly = loopbackOnly
        }
    }

    public let configuration: Configuration
    public let session: SwarmSession

    public init(configuration: Configuration, logger: Logger = Logger(label: "nerd.node")) {
        self.configuration = configuration
        session = SwarmSession(configuration: .init(listen: configuration.listen, loopbackOnly: configuration.loopbackOnly,
                                                    stateDirectory: configuration.stateDirectory), logger: logger)
    }

    /// The bound listen address, once started.
    public var listenAddress: PeerAddress? { session.listenAddress }

    /// Opens the listen socket. - Throws: ``SwarmError``.
    public func start() async throws { try await session.start() }

    /// Adds a torrent, checks its data, and connects it to its peer sources.
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
        return torrent
    }

    /// Stops every torrent (saving resume data) and closes the sockets.
    public func shutdown() async { await session.shutdown() }
}
