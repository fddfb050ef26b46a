import Foundation
import NERDTestSupport
import NERDWire
import NIOCore
import NIOEmbedded
import Testing

@Suite struct PeerWireCodecTests {
    static let infoHash = [UInt8](repeating: 0xAB, count: 20)
    static let peerID = Array("-NE0001-abcdefghijkl".utf8)

    static let messages: [PeerMessage] = [
        .keepAlive, .choke, .unchoke, .interested, .notInterested, .have(7),
        .bitfield(ByteBuffer(bytes: [0xFF, 0x80])),
        .request(BlockRequest(index: 1, begin: 16384, length: 16384)),
        .piece(index: 1, begin: 0, block: ByteBuffer(bytes: [UInt8](repeating: 9, count: 1000))),
        .cancel(BlockRequest(index: 1, begin: 16384, length: 16384)), .port(6881),
        .suggest(3), .haveAll, .haveNone, .reject(BlockRequest(index: 2, begin: 0, length: 100)), .allowedFast(4),
        .extended(id: 0, payload: ByteBuffer(bytes: ExtensionHandshake(messageIDs: ["ut_pex": 1], client: "x").payload)),
    ]

    func wire(_ messages: [PeerMessage], handshake: Bool) -> [UInt8] {
        var buffer = ByteBuffer()
        if handshake { buffer.writeBytes(Handshake(infoHash: Self.infoHash, peerID: Self.peerID).bytes) }
        for m in messages { m.write(into: &buffer) }
        return Array(buffer.readableBytesView)
    }

    /// Feeds `bytes` in chunks of `chunk` bytes and collects every frame.
    func decode(_ bytes: [UInt8], chunk: Int, handshake: Bool = true) throws -> [PeerWireFrame] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(PeerWireDecoder(expectHandshake: handshake)))
        var frames: [PeerWireFrame] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            try channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            while let frame = try channel.readInbound(as: PeerWireFrame.self) { frames.append(frame) }
            offset = end
        }
        _ = try channel.finish()
        return frames
    }

    @Test(arguments: [1, 3, 13, 68, 4096])
    func roundTripsEveryMessageWhateverTheChunking(chunk: Int) throws {
        let frames = try decode(wire(Self.messages, handshake: true), chunk: chunk)
        #expect(frames.first == .handshake(Handshake(infoHash: Self.infoHash, peerID: Self.peerID)))
        #expect(Array(frames.dropFirst()) == Self.messages.map(PeerWireFrame.message))
    }

    @Test func handshakeReservedBits() throws {
        let bytes = Handshake(reserved: [.extensionProtocol, .fast, .dht], infoHash: Self.infoHash, peerID: Self.peerID).bytes
        #expect(Array(bytes[20..<28]) == [0, 0, 0, 0, 0, 0x10, 0, 0x05])
        #expect(try Handshake(bytes: bytes).reserved == [.extensionProtocol, .fast, .dht])
        #expect(throws: WireError.self) { try Handshake(bytes: [18] + bytes.dropFirst()) }
    }

    @Test func oversizedLengthIsRefusedBeforeBuffering() {
        // 4 GiB announced: refused from the 4-byte prefix alone.
        #expect(throws: WireError.self) { try decode([0xFF, 0xFF, 0xFF, 0xFF, 7], chunk: 5, handshake: false) }
        do { _ = try decode([0xFF, 0xFF, 0xFF, 0xFF], chunk: 4, handshake: false) } catch let error as WireError {
            #expect(error.code == .messageTooLarge)
        } catch { Issue.record("\(error)") }
    }

    @Test(arguments: [
        [0, 0, 0, 2, 0, 1],  // choke with a payload
        [0, 0, 0, 4, 4, 0, 0, 0],  // have of 3 bytes
        [0, 0, 0, 12, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  // request of 11 bytes
        [0, 0, 0, 5, 7, 0, 0, 0, 0],  // piece without begin
        [0, 0, 0, 1, 99],  // unknown id
        [0, 0, 0, 1, 20],  // extended without id
    ] as [[UInt8]])
    func wrongSizedMessagesAreTypedErrors(bytes: [UInt8]) {
        #expect(throws: WireError.self) { try decode(bytes, chunk: 64, handshake: false) }
    }

    @Test func bitfieldSpareBitsAndSize() throws {
        #expect(try Bitfield(wire: [0xFF, 0x80], pieceCount: 9).setCount == 9)
        #expect(throws: WireError.self) { try Bitfield(wire: [0xFF, 0xC0], pieceCount: 9) }
        #expect(throws: WireError.self) { try Bitfield(wire: [0xFF], pieceCount: 9) }
        var bits = Bitfield(count: 10)
        bits[9] = true
        bits[0] = true
        #expect(bits.bytes == [0x80, 0x40])
        #expect(Bitfield(count: 10, full: true).bytes == [0xFF, 0xC0])
    }

    @Test func extensionHandshakeRoundTrip() throws {
        let h = ExtensionHandshake(messageIDs: ["ut_metadata": 3, "nerd_pay": 9], client: "NERD 0.1", listenPort: 6881,
                                   requestQueueLength: 500, yourIP: [127, 0, 0, 1], metadataSize: 31337)
        #expect(try ExtensionHandshake(payload: h.payload) == h)
        #expect(throws: WireError.self) { try ExtensionHandshake(payload: Array("i1e".utf8)) }
    }

    /// The shared peer-protocol fuzz inputs neither crash nor hang the decoder.
    @Test func peerProtocolFuzzInputs() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let dir = SharedMaterial.torrentCorpus.appendingPathComponent("anacrolix/fuzz/peer_protocol-FuzzDecoder")
        var count = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            for input in GoFuzzCorpus.inputs(text) {
                count += 1
                for handshake in [true, false] {
                    for chunk in [1, 7, 4096] { _ = try? decode(input, chunk: chunk, handshake: handshake) }
                }
            }
        }
        #expect(count >= 7)
    }
}

@Suite struct AllowedFastSetTests {
    /// The examples in BEP 6.
    @Test func bep6Vectors() {
        let infoHash = [UInt8](repeating: 0xAA, count: 20)
        let ip: [UInt8] = [80, 4, 4, 200]
        #expect(AllowedFastSet.compute(ipv4: ip, infoHash: infoHash, pieceCount: 1313, count: 7)
            == [1059, 431, 808, 1217, 287, 376, 1188])
        #expect(AllowedFastSet.compute(ipv4: ip, infoHash: infoHash, pieceCount: 1313, count: 9)
            == [1059, 431, 808, 1217, 287, 376, 1188, 353, 508])
        #expect(AllowedFastSet.compute(ipv4: [1, 2, 3], infoHash: infoHash, pieceCount: 10).isEmpty)
        #expect(AllowedFastSet.compute(ipv4: ip, infoHash: infoHash, pieceCount: 3, count: 10).sorted() == [0, 1, 2])
    }
}
