import Foundation
@testable import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOCore
import Testing

/// What is on disk around a download: data linked in by a seeder, files longer than the
/// torrent, files removed while a download runs, and two runs sharing a state folder.
@Suite(.serialized) struct FinishedFilesTests {
    /// A seeder whose files are symbolic links to the real data (as `nerd create` follows
    /// them) serves it; a download never writes through a link.
    @Test func linkedSeedDataIsServedButNeverWritten() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        try FileManager.default.moveItem(atPath: dir.path + "/seed", toPath: dir.path + "/real")
        for file in metainfo.files where !file.isPadFile {
            let link = dir.path + "/seed/" + file.pathString
            try FileManager.default.createDirectory(atPath: (link as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir.path + "/real/" + file.pathString)
        }
        let seeder = SwarmTransferTests.session(dir)
        let leecher = SwarmTransferTests.session(dir)
        let (seed, leech) = try await SwarmTransferTests.connectPair(seeder, leecher, dir, metainfo)
        #expect(try await seed.status().isComplete)
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(SwarmTransferTests.sameFiles(dir.path + "/real", dir.path + "/out", metainfo))

        // The same links in a download folder: the data they point at is read, never written.
        let layout = FileLayout(metainfo: metainfo, savePath: dir.path + "/seed")
        let storage = TorrentStorage(layout: layout, pieceHashes: metainfo.pieceHashes)
        #expect(storage.check(piece: 0))
        let before = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/real/show/ep1.bin"))
        do {
            try storage.write(piece: 0, data: ByteBufferAllocator().buffer(bytes: [UInt8](repeating: 7, count: metainfo.pieceLength)))
            Issue.record("a write through a link was allowed")
        } catch {
            #expect(error.reason.contains("symbolic link"), "\(error)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path + "/real/show/ep1.bin")) == before)
    }

    /// A folder in the download that is a link to somewhere else (planted, or left over) is
    /// never written through: the download stops with the storage error naming it, and
    /// nothing lands where the link points.
    @Test func linkedFolderInADownloadIsNeverWrittenThrough() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        try FileManager.default.createDirectory(atPath: dir.path + "/outside", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path + "/out/show", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/out/show/notes", withDestinationPath: dir.path + "/outside")
        let seeder = SwarmTransferTests.session(dir)
        let leecher = SwarmTransferTests.session(dir)
        let (_, leech) = try await SwarmTransferTests.connectPair(seeder, leecher, dir, metainfo)
        let status = try await SwarmTransferTests.status(of: leech, within: 30) { $0.state == .error || $0.isComplete }
        #expect(status.state == .error)
        #expect(status.error?.contains("show/notes is a symbolic link") == true, "\(status.error ?? "no error")")
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/outside").isEmpty)
    }

    /// A file already longer than the torrent says is cut to length when the download
    /// finishes, so the finished copy equals the seed's (as libtorrent leaves it).
    @Test func overlongFileIsCutWhenTheDownloadFinishes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        try dir.write("out/show/z.bin", TemporaryDirectory.bytes(count: 100_000, seed: 99))
        let seeder = SwarmTransferTests.session(dir)
        let leecher = SwarmTransferTests.session(dir)
        let (_, leech) = try await SwarmTransferTests.connectPair(seeder, leecher, dir, metainfo)
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        await leecher.shutdown()
        await seeder.shutdown()
        let size = try FileManager.default.attributesOfItem(atPath: dir.path + "/out/show/z.bin")[.size] as? Int
        #expect(size == 70_000)
        #expect(SwarmTransferTests.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// A file removed while the download ran (here the empty one, which no piece writes):
    /// the finished download stops with the storage error instead of reporting success, and
    /// `resume()` checks the files again once it is back.
    @Test func aFileRemovedDuringTheDownloadStopsItUntilResumed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = try await SwarmTransferTests.startedSeeder(dir, metainfo)
        let leecher = SwarmTransferTests.session(dir)
        try await leecher.start()
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        try FileManager.default.removeItem(atPath: dir.path + "/out/show/empty.txt")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        let stopped = try await SwarmTransferTests.status(of: leech, within: 30) { $0.state == .error || $0.isComplete }
        #expect(stopped.state == .error && !stopped.isComplete)
        #expect(stopped.error?.contains("empty.txt is gone") == true, "\(stopped.error ?? "no error")")
        // Resumed with the file still gone: checked again, and stopped again.
        leech.resume()
        try await Task.sleep(for: .milliseconds(300))
        let again = try await SwarmTransferTests.status(of: leech, within: 10) { $0.state == .error || $0.isComplete }
        #expect(again.state == .error && !again.isComplete)
        try dir.write("out/show/empty.txt", [])
        leech.resume()
        #expect(try await SwarmTransferTests.complete(leech, within: 10))
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(SwarmTransferTests.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// The check at the end of a download: a file removed or cut short meanwhile fails it
    /// with the storage error instead of a download that reports success with nothing on disk.
    @Test func removedOrShortFilesFailTheFinish() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let storage = TorrentStorage(layout: FileLayout(metainfo: metainfo, savePath: dir.path + "/seed"),
                                     pieceHashes: metainfo.pieceHashes)
        try storage.finishFiles()
        try dir.write("seed/show/z.bin", TemporaryDirectory.bytes(count: 69_999, seed: 23))
        #expect { try storage.finishFiles() } throws: { ($0 as? SwarmError)?.reason.contains("69999 of its 70000") == true }
        try FileManager.default.removeItem(atPath: dir.path + "/seed/show")
        #expect { try storage.finishFiles() } throws: { ($0 as? SwarmError)?.reason.contains("is gone") == true }
    }

    /// Two runs of one torrent with one state folder: the second keeps no resume data rather
    /// than saving over the first's; once the first stops, a new run takes it again.
    @Test func oneRunAtATimeOwnsTheResumeData() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let first = SwarmTransferTests.session(dir, state: "state")
        let second = SwarmTransferTests.session(dir, state: "state")
        try await first.start()
        try await second.start()
        let a = try await first.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let b = try await second.add(metainfo: metainfo, savePath: dir.path + "/seed")
        #expect(a.resumePath != nil)
        #expect(b.resumePath == nil)
        await first.shutdown()
        await second.shutdown()
        let third = SwarmTransferTests.session(dir, state: "state")
        try await third.start()
        let c = try await third.add(metainfo: metainfo, savePath: dir.path + "/seed")
        #expect(c.resumePath != nil)
        #expect(try await c.status().isComplete)
        await third.shutdown()
    }
}
