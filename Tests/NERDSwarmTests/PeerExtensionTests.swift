import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// A BEP 10 extension registered by name travels between two nodes: each side learns the
/// other speaks it, and messages arrive under the right IDs.
@Suite(.serialized) struct PeerExtensionTests {
    final class Echo: PeerExtension {
        let name = "nerd_echo"
        let role: String
        let log = NIOLockedValueBox<[String]>([])
        init(role: String) { self.role = role }

        func peerConnected(_ peer: ExtensionPeer) {
            log.withLockedValue { $0.append("connected") }
            if role == "leecher" { peer.send(ByteBuffer(string: "ping")) }
        }

        func received(_ payload: ByteBuffer, from peer: ExtensionPeer) {
            let text = String(buffer: payload)
            log.withLockedValue { $0.append(text) }
            if text == "ping" { peer.send(ByteBuffer(string: "pong")) }
        }
    }

    /// A second extension registered only by the seeder, so IDs differ between the sides.
    struct Unused: PeerExtension {
        let name = "nerd_unused"
        func received(_ payload: ByteBuffer, from peer: ExtensionPeer) {}
    }

    @Test func messagesReachTheExtensionOnBothSides() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = SwarmTransferTests.session(dir)
        let leecher = SwarmTransferTests.session(dir)
        let seedEcho = Echo(role: "seeder")
        let leechEcho = Echo(role: "leecher")
        seeder.register(Unused())
        seeder.register(seedEcho)
        leecher.register(leechEcho)
        try await seeder.start()
        try await leecher.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let torrent = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: torrent)
        for _ in 0..<100 where !leechEcho.log.withLockedValue({ $0.contains("pong") }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(seedEcho.log.withLockedValue { $0 }.contains("ping"))
        // The two may reconnect once the download completes (seeds part), which repeats "connected".
        let log = leechEcho.log.withLockedValue { $0 }
        #expect(log.first == "connected" && log.contains("pong") && log.allSatisfy { $0 == "connected" || $0 == "pong" }, "\(log)")
        await leecher.shutdown()
        await seeder.shutdown()
    }
}
