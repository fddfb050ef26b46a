import NERDDHT
import NERDSwarm

/// The DHT as a swarm ``PeerSource``: repeated `get_peers` lookups for the torrent, each
/// followed by an `announce_peer` of our port when one is given.
public struct DHTPeerSource: PeerSource {
    public let node: DHTNode
    /// Our TCP port to announce; `nil` only looks.
    public let announcePort: UInt16?
    public let interval: Duration
    /// Asked before each lookup round; false ends the source (the torrent was removed).
    public let isWanted: @Sendable () async -> Bool

    public init(node: DHTNode, announcePort: UInt16?, interval: Duration = .seconds(300),
                isWanted: @escaping @Sendable () async -> Bool = { true }) {
        self.node = node
        self.announcePort = announcePort
        self.interval = interval
        self.isWanted = isWanted
    }

    public func peers(infoHash: [UInt8]) -> AsyncStream<PeerAddress> {
        guard let id = NodeID(infoHash) else { return AsyncStream { $0.finish() } }
        let upstream = node.peers(for: id, announcePort: announcePort, interval: interval, isWanted: isWanted)
        return AsyncStream { continuation in
            let task = Task {
                for await address in upstream { continuation.yield(PeerAddress(host: address.host, port: Int(address.port))) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
