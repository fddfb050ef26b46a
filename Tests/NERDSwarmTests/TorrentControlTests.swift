import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import Testing

/// The embedding API: events, file selection, pause and resume, removal.
@Suite(.serialized) struct TorrentControlTests {
    @Test func eventsSelectionPauseAndResume() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = try await SwarmTransferTests.startedSeeder(dir, metainfo)

        let leecher = SwarmTransferTests.session(dir)
        try await leecher.start()
        let torrent = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        // Only notes/ep2.txt (file 2): its pieces, nothing of z.bin's own pieces.
        let wanted = try #require(metainfo.files.firstIndex { $0.pathString == "show/notes/ep2.txt" })
        torrent.selectFiles([wanted])
        var seen: [TorrentEvent] = []
        let collector = Task {
            var events: [TorrentEvent] = []
            for await event in torrent.events {
                events.append(event)
                if event == .completed { break }
            }
            return events
        }
        defer { collector.cancel() }
        leecher.connect(to: try #require(seeder.listenAddress), torrent: torrent)
        #expect(try await SwarmTransferTests.complete(torrent, within: 30))
        seen = await collector.value
        #expect(seen.contains(.completed))
        #expect(seen.contains { if case .pieceVerified = $0 { true } else { false } })
        #expect(seen.contains { if case .peerConnected = $0 { true } else { false } })
        let partial = try await torrent.status()
        #expect(partial.isComplete && partial.state == .finished)
        #expect(partial.piecesHave < metainfo.pieceCount)
        #expect(FileManager.default.contentsEqual(atPath: dir.path + "/seed/show/notes/ep2.txt",
                                                  andPath: dir.path + "/out/show/notes/ep2.txt"))

        // Pause: no peers; select everything and resume: it completes.
        torrent.pause()
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await torrent.status().state == .paused)
        #expect(try await torrent.status().connectedPeers == 0)
        torrent.selectFiles(nil)
        torrent.resume()
        #expect(try await SwarmTransferTests.complete(torrent, within: 30))
        #expect(try await torrent.status().state == .seeding)
        try await leecher.remove(torrent)
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(SwarmTransferTests.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }
}
