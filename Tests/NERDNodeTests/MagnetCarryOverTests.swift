import Foundation
import NERDNode
import NERDSwarm
import NERDTestSupport
import NERDWire
import Testing

/// A peer source that names its peers on the first lookup only (a tracker that answers once,
/// a DHT round that found the seed and will not find it again for minutes).
struct OnceOnlyPeerSource: PeerSource {
    let addresses: [PeerAddress]
    let calls = CallCounter()

    func peers(infoHash: [UInt8]) -> AsyncStream<PeerAddress> {
        let first = calls.next() == 0
        return AsyncStream { continuation in
            if first { for address in addresses { continuation.yield(address) } }
            continuation.finish()
        }
    }
}

final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func next() -> Int { lock.withLock { defer { count += 1 }; return count } }
}

@Suite struct MagnetCarryOverTests {
    /// The peers found while the metadata was looked for are dialled for the download too,
    /// not only those the sources name again later.
    @Test func peersFoundForTheMetadataServeTheDownload() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("seed/clip.bin", TemporaryDirectory.bytes(count: 700_001, seed: 41))
        var options = TorrentCreator.Options()
        options.version = .v1
        options.pieceLength = 16384
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/seed/clip.bin", options: options))
        let seeder = SwarmSession(configuration: .init(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true))
        try await seeder.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let node = Node(configuration: .init(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true, useTrackers: false))
        try await node.start()
        let source = OnceOnlyPeerSource(addresses: [try #require(seeder.listenAddress)])
        let (torrent, _) = try await node.add(magnet: MagnetURI(metainfo: metainfo), savePath: dir.path + "/out",
                                              peerSources: [source], metadataTimeout: .seconds(20))
        var complete = false
        for _ in 0..<200 where !complete {
            complete = try await torrent.status().isComplete
            if !complete { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(complete, "the download never reached the seed the metadata came from")
        #expect(FileManager.default.contentsEqual(atPath: dir.path + "/seed/clip.bin", andPath: dir.path + "/out/clip.bin"))
        await node.shutdown()
        await seeder.shutdown()
    }
}
