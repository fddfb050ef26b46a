import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOCore
import NIOPosix
import Testing

/// NERD to NERD over real loopback TCP sockets.
@Suite(.serialized) struct SwarmTransferTests {
    static func makeContent(_ dir: TemporaryDirectory, version: MetainfoVersion = .hybrid, pieceLength: Int = 16384)
        throws -> Metainfo
    {
        try dir.write("seed/show/ep1.bin", TemporaryDirectory.bytes(count: 150_001, seed: 21))
        try dir.write("seed/show/empty.txt", [])
        try dir.write("seed/show/notes/ep2.txt", TemporaryDirectory.bytes(count: 3_000, seed: 22))
        try dir.write("seed/show/z.bin", TemporaryDirectory.bytes(count: 70_000, seed: 23))
        var options = TorrentCreator.Options()
        options.version = version
        options.pieceLength = pieceLength
        return try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/seed/show", options: options))
    }

    static func session(_ dir: TemporaryDirectory, state: String? = nil, requestTimeout: TimeAmount = .seconds(20),
                        handshakeTimeout: TimeAmount = .seconds(15)) -> SwarmSession {
        var configuration = SwarmSession.Configuration(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true,
                                                       stateDirectory: state.map { dir.path + "/" + $0 })
        configuration.requestTimeout = requestTimeout
        configuration.handshakeTimeout = handshakeTimeout
        return SwarmSession(configuration: configuration)
    }

    /// A started session seeding `metainfo` from `dir/seed`.
    static func startedSeeder(_ dir: TemporaryDirectory, _ metainfo: Metainfo,
                              handshakeTimeout: TimeAmount = .seconds(15)) async throws -> SwarmSession {
        let seeder = session(dir, handshakeTimeout: handshakeTimeout)
        try await seeder.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        return seeder
    }

    /// Starts both sessions, seeds `metainfo` from `dir/seed`, adds it to the leecher with
    /// `dir/out`, and has the leecher dial the seeder.
    /// - Returns: the seeder's and the leecher's torrent.
    @discardableResult
    static func connectPair(_ seeder: SwarmSession, _ leecher: SwarmSession, _ dir: TemporaryDirectory, _ metainfo: Metainfo)
        async throws -> (seed: Torrent, leech: Torrent)
    {
        try await seeder.start()
        try await leecher.start()
        let seed = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        return (seed, leech)
    }

    static func sameFiles(_ a: String, _ b: String, _ metainfo: Metainfo) -> Bool {
        metainfo.files.filter { !$0.isPadFile }.allSatisfy { file in
            FileManager.default.contentsEqual(atPath: a + "/" + file.pathString, andPath: b + "/" + file.pathString)
        }
    }

    /// The torrent's status once `done` holds it, else the last one after `seconds` (polls, so a
    /// stuck torrent cannot hang the test).
    static func status(of torrent: Torrent, within seconds: Double, until done: (TorrentStatus) -> Bool) async throws
        -> TorrentStatus
    {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var status = try await torrent.status()
        while !done(status), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            status = try await torrent.status()
        }
        return status
    }

    /// Waits for completion; `false` after `seconds`.
    static func complete(_ torrent: Torrent, within seconds: Double) async throws -> Bool {
        try await status(of: torrent, within: seconds, until: \.isComplete).isComplete
    }

    @Test(arguments: [MetainfoVersion.v1, .hybrid])
    func nerdSeedsNerdDownloads(version: MetainfoVersion) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir, version: version)
        let seeder = Self.session(dir)
        let leecher = Self.session(dir, state: "state")
        let (seed, leech) = try await Self.connectPair(seeder, leecher, dir, metainfo)
        #expect(try await seed.status().isComplete)
        #expect(try await Self.complete(leech, within: 30))
        let status = try await leech.status()
        #expect(status.downloadedThisRun >= metainfo.totalSize - metainfo.files.filter(\.isPadFile).reduce(0) { $0 + $1.length })
        #expect(status.peers.first?.downloaded == status.downloadedThisRun)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/out/show/empty.txt"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/out/show/.pad"))
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(Self.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// A piece that cannot be written (here a folder sits where a file goes; a full or
    /// read-only disk is the same) stops the download with the storage error instead of
    /// fetching, failing and fetching again; `resume()` carries on once the path is usable.
    @Test func unwritableDownloadStopsWithTheStorageError() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir, version: .v1)
        try FileManager.default.createDirectory(atPath: dir.path + "/out/show/z.bin", withIntermediateDirectories: true)
        let seeder = Self.session(dir)
        let leecher = Self.session(dir)
        let (_, leech) = try await Self.connectPair(seeder, leecher, dir, metainfo)
        let stopped = try await Self.status(of: leech, within: 30) { $0.state == .error || $0.isComplete }
        try #require(stopped.state == .error, "state \(stopped.state), \(stopped.downloadedThisRun) bytes fetched")
        await #expect {
            try await leech.waitUntilComplete()
        } throws: {
            ($0 as? SwarmError)?.code == .storage
        }
        #expect(stopped.error?.contains("z.bin") == true, "\(stopped.error ?? "no error")")
        #expect(stopped.downloadedThisRun <= metainfo.totalSize)
        try await Task.sleep(for: .seconds(1.5))
        let later = try await leech.status()
        #expect(later.downloadedThisRun == stopped.downloadedThisRun, "nothing is fetched while stopped")
        #expect(later.connectedPeers == 0)

        try FileManager.default.removeItem(atPath: dir.path + "/out/show/z.bin")
        leech.resume()
        #expect(try await Self.complete(leech, within: 30))
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(Self.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// A taken listen port: with more attempts the next free port is used, with one the error
    /// names the address and the system's reason.
    @Test func takenListenPortMovesOnOnlyWhenAllowed() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let first = Self.session(dir)
        try await first.start()
        let port = try #require(first.listenAddress?.port)
        var configuration = SwarmSession.Configuration(listen: PeerAddress(host: "127.0.0.1", port: port), loopbackOnly: true)
        configuration.listenPortAttempts = 5
        let second = SwarmSession(configuration: configuration)
        try await second.start()
        let moved = try #require(second.listenAddress?.port)
        #expect(moved > port && moved < port + 5)
        configuration.listenPortAttempts = 1
        let third = SwarmSession(configuration: configuration)
        await #expect {
            try await third.start()
        } throws: {
            ($0 as? SwarmError)?.code == .invalidAddress
                && ($0 as? SwarmError)?.reason == "cannot listen on 127.0.0.1:\(port): Address already in use"
        }
        await third.shutdown()
        await second.shutdown()
        await first.shutdown()
    }

    /// The connection limits hold against more peers than they allow: per torrent and over
    /// the session, the seed keeps at most the limit connected, and serves those it keeps.
    @Test(arguments: ["per torrent", "session"])
    func connectionLimitsHold(limit: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir)
        var configuration = SwarmSession.Configuration(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true)
        if limit == "session" { configuration.maxConnections = 2 } else { configuration.maxPeersPerTorrent = 2 }
        let seeder = SwarmSession(configuration: configuration)
        try await seeder.start()
        let seed = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        var leechers: [(SwarmSession, Torrent)] = []
        for number in 0..<4 {
            let leecher = Self.session(dir)
            try await leecher.start()
            let torrent = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out\(number)")
            torrent.setRateLimits(upload: nil, download: 150_000)  // about 1.5 s each: the connections overlap
            leecher.connect(to: try #require(seeder.listenAddress), torrent: torrent)
            leechers.append((leecher, torrent))
        }
        var most = 0
        var served = 0
        let deadline = ContinuousClock.now + .seconds(8)
        while ContinuousClock.now < deadline, served < 2 {
            most = max(most, try await seed.status().connectedPeers)
            served = 0
            for (_, torrent) in leechers where try await torrent.status().isComplete { served += 1 }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(most <= 2, "the seed held \(most) connections")
        #expect(served >= 2, "only \(served) downloads completed")
        for (leecher, _) in leechers { await leecher.shutdown() }
        await seeder.shutdown()
    }

    /// A seed whose file is cut short after it verified the data refuses (BEP 6 `reject`) what
    /// is gone and serves the rest: the downloader stops asking it for refused pieces instead
    /// of letting its requests drain into them, and gets every piece still on the seed's disk.
    @Test func seedServesWhatRemainsOfAShortenedFile() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("seed/big.bin", TemporaryDirectory.bytes(count: 3 << 20, seed: 31))
        var options = TorrentCreator.Options()
        options.version = .v1
        options.pieceLength = 16384
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/seed/big.bin", options: options))
        let seeder = try await Self.startedSeeder(dir, metainfo)
        let cut = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.path + "/seed/big.bin"))
        try cut.truncate(atOffset: 1_000_000)
        try cut.close()
        let whole = 1_000_000 / metainfo.pieceLength
        let leecher = Self.session(dir)
        try await leecher.start()
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        let have = try await Self.status(of: leech, within: 20) { $0.piecesHave >= whole }.piecesHave
        #expect(have == whole, "\(have) of the \(whole) pieces still on the seed's disk")
        await leecher.shutdown()
        await seeder.shutdown()
    }

    /// A restart with the same state folder trusts its resume data: nothing is fetched again.
    /// A partial download resumes and fetches only what is missing.
    @Test func resumeFetchesOnlyWhatIsMissing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir, version: .v1)
        // A partial seed: only ep1.bin present, so only its pieces verify.
        try FileManager.default.createDirectory(atPath: dir.path + "/partial/show", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: dir.path + "/seed/show/ep1.bin", toPath: dir.path + "/partial/show/ep1.bin")

        let partialSeeder = Self.session(dir)
        try await partialSeeder.start()
        let partial = try await partialSeeder.add(metainfo: metainfo, savePath: dir.path + "/partial")
        let partialHave = try await partial.status().piecesHave
        #expect(partialHave > 0 && partialHave < metainfo.pieceCount)

        let first = Self.session(dir, state: "state")
        try await first.start()
        var leech = try await first.add(metainfo: metainfo, savePath: dir.path + "/out")
        first.connect(to: try #require(partialSeeder.listenAddress), torrent: leech)
        for _ in 0..<300 where try await leech.status().piecesHave < partialHave {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await leech.status().piecesHave == partialHave)
        await first.shutdown()
        await partialSeeder.shutdown()

        let seeder = Self.session(dir)
        try await seeder.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let second = Self.session(dir, state: "state")
        try await second.start()
        leech = try await second.add(metainfo: metainfo, savePath: dir.path + "/out")
        #expect(try await leech.status().piecesHave == partialHave)
        second.connect(to: try #require(seeder.listenAddress), torrent: leech)
        #expect(try await Self.complete(leech, within: 30))
        let status = try await leech.status()
        let missing = (partialHave..<metainfo.pieceCount).reduce(Int64(0)) { $0 + Int64(metainfo.size(ofPiece: $1)) }
        #expect(status.downloadedThisRun <= missing + Int64(metainfo.pieceLength))
        await second.shutdown()

        let third = Self.session(dir, state: "state")
        try await third.start()
        let done = try await third.add(metainfo: metainfo, savePath: dir.path + "/out")
        #expect(try await done.status().isComplete)
        #expect(try await done.status().downloadedThisRun == 0)
        await third.shutdown()
        await seeder.shutdown()
        #expect(Self.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// A peer that answers every request with garbage: the download still completes from
    /// the honest seed, the corrupt piece is counted, and the liar is disconnected.
    @Test func corruptPeerIsBannedAndDownloadCompletes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir, version: .v1)
        let liar = try await CorruptSeed.start(metainfo: metainfo)
        // The liar speaks plain BitTorrent only and ignores the encrypted attempt without
        // closing: the leecher gives up on it after the handshake timeout and dials plain.
        let leecher = Self.session(dir, handshakeTimeout: .seconds(2))
        try await leecher.start()
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: liar.address, torrent: leech)
        for _ in 0..<200 where try await leech.status().hashFailures == 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await leech.status().hashFailures >= 1)

        let seeder = Self.session(dir)
        try await seeder.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        #expect(try await Self.complete(leech, within: 30))
        let status = try await leech.status()
        #expect(status.connectedPeers <= 1)
        #expect(liar.connectionCount() >= 1)
        await leecher.shutdown()
        await seeder.shutdown()
        try await liar.stop()
        #expect(Self.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    @Test func loopbackGuardAcceptsOnlyLoopbackLiterals() {
        #expect(PeerAddress("127.0.0.1:1")!.isLoopback)
        #expect(PeerAddress("127.9.9.9:1")!.isLoopback)
        #expect(PeerAddress("[::1]:1")!.isLoopback)
        #expect(PeerAddress("localhost:1")!.isLoopback)  // mapped to 127.0.0.1 when parsed
        #expect(!PeerAddress("127.evil.example.com:1")!.isLoopback)
        #expect(!PeerAddress("10.0.0.1:1")!.isLoopback)
        #expect(!PeerAddress("[::2]:1")!.isLoopback)
    }

    @Test func loopbackGuardRefusesOtherAddresses() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let session = SwarmSession(configuration: .init(listen: PeerAddress("10.0.0.1:0"), loopbackOnly: true))
        await #expect(throws: SwarmError.self) { try await session.start() }
        await session.shutdown()
    }

    @Test func v2OnlyTorrentsAreRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir, version: .v2)
        let session = Self.session(dir)
        do {
            _ = try await session.add(metainfo: metainfo, savePath: dir.path)
            Issue.record("v2-only torrent was accepted")
        } catch let error as SwarmError {
            #expect(error.code == .unsupportedTorrent)
            #expect(error.reason.contains("v2-only transfer not supported yet"))
        }
        await session.shutdown()
    }

    /// More files than the storage keeps open at once (128): descriptors are closed and
    /// reopened under load, and every file still arrives intact.
    @Test func manyFilesTransferIntact() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for i in 0..<300 {
            try dir.write("seed/many/d\(i % 7)/f\(i).bin", TemporaryDirectory.bytes(count: 5_000 + i * 37, seed: UInt64(i + 1)))
        }
        var options = TorrentCreator.Options()
        options.pieceLength = 16384
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/seed/many", options: options))
        let seeder = Self.session(dir)
        let leecher = Self.session(dir)
        let leech = try await Self.connectPair(seeder, leecher, dir, metainfo).leech
        #expect(try await Self.complete(leech, within: 60))
        #expect(try await leech.status().hashFailures == 0)
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(Self.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// Peers that unchoke and then never answer must not hold blocks hostage: their
    /// requests time out, they are snubbed, and the honest seed finishes the download.
    @Test func silentPeersDoNotStallTheDownload() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try Self.makeContent(dir, version: .v1)
        var silent: [CorruptSeed] = []
        for _ in 0..<3 { silent.append(try await CorruptSeed.start(metainfo: metainfo, silent: true)) }
        let leecher = Self.session(dir, requestTimeout: .seconds(1))
        try await leecher.start()
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        for peer in silent { leecher.connect(to: peer.address, torrent: leech) }
        try await Task.sleep(for: .milliseconds(500))
        let seeder = Self.session(dir)
        try await seeder.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        #expect(try await Self.complete(leech, within: 30))
        await leecher.shutdown()
        await seeder.shutdown()
        for peer in silent { try await peer.stop() }
        #expect(Self.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }
}
