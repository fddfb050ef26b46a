import NERDSwarm
import NERDTracker

/// A torrent's trackers as a swarm ``PeerSource``: the announcer's peers, as dialable
/// addresses.
public struct TrackerPeerSource: PeerSource {
    public let announcer: TrackerAnnouncer

    public init(announcer: TrackerAnnouncer) { self.announcer = announcer }

    public func peers(infoHash: [UInt8]) -> AsyncStream<PeerAddress> {
        let upstream = announcer.peers()
        return AsyncStream { continuation in
            let task = Task {
                for await (peer, _) in upstream {
                    continuation.yield(PeerAddress(host: peer.host, port: Int(peer.port)))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension TrackerAnnouncer.Progress {
    /// What a torrent reports to trackers: payload moved this run, and bytes still wanted.
    init(_ status: TorrentStatus) {
        self.init(uploaded: status.uploadedThisRun, downloaded: status.downloadedThisRun,
                  left: status.isComplete ? 0 : max(0, status.totalSize - status.verifiedBytes))
    }
}
