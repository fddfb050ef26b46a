import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import Testing

/// A live connection that breaks the protocol is dropped; the node keeps serving others.
@Suite(.serialized) struct MalformedPeerTests {
    /// Connects over TCP, sends `bytes`, and returns whether the other side closed within 5 s.
    func sendAndAwaitClose(_ bytes: [UInt8], to address: PeerAddress) -> Bool {
        guard let peer = ScriptedPeer.connect(to: address) else { return false }
        peer.send(bytes)
        return peer.awaitClose()
    }

    /// A hybrid torrent answers a handshake addressed by its SHA-256 info-hash truncated to
    /// 20 bytes (BEP 52), echoing that hash, and serves the peer; a v1-only torrent has no
    /// such second name.
    @Test func hybridTorrentsAnswerToTheirV2Hash() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let hybrid = try SwarmTransferTests.makeContent(dir, version: .hybrid)
        let seeder = try await SwarmTransferTests.startedSeeder(dir, hybrid)
        let address = try #require(seeder.listenAddress)
        let v2 = Array(try #require(hybrid.infoHashes.v2).bytes.prefix(20))
        let peerID = Array("-XX0001-".utf8) + [UInt8](repeating: 7, count: 12)
        let peer = try #require(ScriptedPeer.connect(to: address))
        peer.send(Handshake(reserved: [], infoHash: v2, peerID: peerID).bytes)
        let answer = try #require(peer.receiveHandshake())
        #expect(answer.infoHash == v2)
        peer.send(.interested)
        #expect(peer.receive(until: { $0 == .unchoke }).contains(.unchoke), "the peer is served")
        await seeder.shutdown()
    }

    @Test func protocolViolationsDisconnectOnlyTheOffender() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        // Bytes that are not a plain handshake may be the start of an encrypted one (MSE
        // looks random), so a short one is dropped only when the handshake timeout passes.
        let seeder = try await SwarmTransferTests.startedSeeder(dir, metainfo, handshakeTimeout: .seconds(2))
        let address = try #require(seeder.listenAddress)
        let handshake = Handshake(infoHash: metainfo.infoHashes.wireBytes, peerID: Array("-XX0001-badbadbadbad".utf8)).bytes
        let attacks: [[UInt8]] = [
            handshake + [0xFF, 0xFF, 0xFF, 0xFF],  // a 4 GiB message
            handshake + [0, 0, 0, 2, 0, 1],  // choke with a payload
            handshake + [0, 0, 0, 13, 6, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0x40, 0],  // request for a piece that does not exist
            Array("GET / HTTP/1.1\r\n\r\n".utf8),  // not BitTorrent at all (closed by the timeout)
            Array("GET / HTTP/1.1\r\n\r\n".utf8) + [UInt8](repeating: 0x41, count: 700),  // nor MSE: no sync in 532 bytes
            Handshake(infoHash: [UInt8](repeating: 7, count: 20), peerID: Array("-XX0001-otherotherot".utf8)).bytes,  // unknown torrent
        ]
        for attack in attacks {
            #expect(sendAndAwaitClose(attack, to: address), "\(attack.prefix(24))")
        }
        // Still serving: an honest peer downloads everything.
        let leecher = SwarmTransferTests.session(dir)
        try await leecher.start()
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: address, torrent: leech)
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(SwarmTransferTests.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }
}
