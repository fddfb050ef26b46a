import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOCore
import Testing

/// BEP 6 suggest: a downloader starts the pieces a peer suggests before the rarest; a seed in
/// `read-cache` mode suggests the pieces it just read to the other peers.
@Suite(.serialized) struct SuggestPieceTests {
    /// A peer ID per scripted peer: a session keeps one connection per peer ID.
    static func peerID(_ name: String) -> [UInt8] {
        Array(("-XX0001-" + name.padding(toLength: 12, withPad: "-", startingAt: 0)).utf8)
    }

    @Test func suggestedPiecesAreRequestedFirst() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        #expect(metainfo.pieceCount == 14)
        let (leecher, listener) = try await Self.leecherDialling(dir, metainfo)
        defer { close(listener) }
        let requests = Self.playSeed(on: listener, infoHash: metainfo.infoHashes.wireBytes, pieceCount: 14,
                                     suggesting: [9, 3])
        await leecher.shutdown()
        // The suggestions open the first batch, in the order given; the rest follow.
        #expect(requests.prefix(2).map(\.index) == [9, 3])
        #expect(Set(requests.map(\.index)).count == 14)
    }

    /// A started session downloading `metainfo` that dials a scripted peer's listening socket
    /// (returned; the caller closes it). Plain handshakes: the scripted peer has no MSE.
    static func leecherDialling(_ dir: TemporaryDirectory, _ metainfo: Metainfo) async throws -> (SwarmSession, Int32) {
        var configuration = SwarmSession.Configuration(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true)
        configuration.encryption = .disabled
        let leecher = SwarmSession(configuration: configuration)
        try await leecher.start()
        let torrent = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        let listener = try #require(ScriptedPeer.listen())
        leecher.connect(to: PeerAddress(host: "127.0.0.1", port: listener.port), torrent: torrent)
        return (leecher, listener.fd)
    }

    /// BEP 6: suggest is valid only when both sides support the fast extension.
    @Test func suggestWithoutTheFastExtensionClosesTheConnection() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let (leecher, listener) = try await Self.leecherDialling(dir, metainfo)
        defer { close(listener) }
        let peer = try #require(ScriptedPeer.accept(on: listener))
        #expect(peer.receiveHandshake() != nil)
        peer.send(Handshake(reserved: [], infoHash: metainfo.infoHashes.wireBytes, peerID: Self.peerID("plain")).bytes)
        peer.send(.have(0))
        peer.send(.suggest(1))
        #expect(peer.awaitClose())
        await leecher.shutdown()
    }

    /// Accepts the session's connection, announces every piece, suggests `pieces` (plus one
    /// out of range, which must be ignored), unchokes, and returns the first batch of requests.
    static func playSeed(on listener: Int32, infoHash: [UInt8], pieceCount: Int, suggesting pieces: [UInt32]) -> [BlockRequest] {
        guard let peer = ScriptedPeer.accept(on: listener), peer.receiveHandshake() != nil else { return [] }
        peer.send(Handshake(reserved: [.fast], infoHash: infoHash, peerID: peerID("seed")).bytes)
        peer.send(.haveAll)
        peer.send(.suggest(UInt32(pieceCount)))
        for piece in pieces { peer.send(.suggest(piece)) }
        // A choked downloader requests nothing; once all the above is read, unchoke.
        _ = peer.receive { $0 == .interested }
        peer.send(.unchoke)
        var requests: [BlockRequest] = []
        while requests.count < pieceCount, let message = peer.receiveMessage() {
            if case .request(let request) = message { requests.append(request) }
        }
        return requests
    }

    @Test func readCacheSeedSuggestsWhatItJustRead() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        var configuration = SwarmSession.Configuration(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true)
        configuration.suggestMode = .readCache
        let seeder = SwarmSession(configuration: configuration)
        try await seeder.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let address = try #require(seeder.listenAddress)

        // A fetches piece 5, which the seed reads into its cache.
        let a = try #require(Self.joinAsLeecher("a", address, metainfo.infoHashes.wireBytes))
        a.send(.request(BlockRequest(index: 5, begin: 0, length: 16384)))
        let toA = a.receive { if case .piece = $0 { true } else { false } }
        guard case .piece(5, 0, _)? = toA.last else {
            Issue.record("no piece 5 for A: \(toA)")
            return
        }
        // B, unchoked later, is told of piece 5; A, which asked for it, is not.
        let b = try #require(Self.joinAsLeecher("b", address, metainfo.infoHashes.wireBytes))
        let toB = b.receive { $0 == .suggest(5) }
        #expect(toB.last == .suggest(5), "\(toB)")
        a.setTimeout(milliseconds: 500)
        #expect(!a.receive { _ in false }.contains(.suggest(5)))
        await seeder.shutdown()
    }

    /// Connects, has nothing, is interested, and waits to be unchoked.
    static func joinAsLeecher(_ name: String, _ address: PeerAddress, _ infoHash: [UInt8]) -> ScriptedPeer? {
        guard let peer = ScriptedPeer.connect(to: address) else { return nil }
        peer.send(Handshake(reserved: [.fast], infoHash: infoHash, peerID: peerID(name)).bytes)
        guard peer.receiveHandshake() != nil else { return nil }
        peer.send(.haveNone)
        peer.send(.interested)
        return peer.receive { $0 == .unchoke }.last == .unchoke ? peer : nil
    }

    @Test func suggestModeNoneSendsNoSuggestions() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = try await SwarmTransferTests.startedSeeder(dir, metainfo)
        let address = try #require(seeder.listenAddress)
        let a = try #require(Self.joinAsLeecher("a", address, metainfo.infoHashes.wireBytes))
        a.send(.request(BlockRequest(index: 5, begin: 0, length: 16384)))
        _ = a.receive { if case .piece = $0 { true } else { false } }
        let b = try #require(Self.joinAsLeecher("b", address, metainfo.infoHashes.wireBytes))
        b.setTimeout(milliseconds: 500)
        #expect(!b.receive { _ in false }.contains { if case .suggest = $0 { true } else { false } })
        await seeder.shutdown()
    }
}
