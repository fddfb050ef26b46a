import NERDCrypto
import NERDSwarm
import NERDWire
import NIOCore
import NIOEmbedded
import Testing

/// ``PeerEncryptionHandler`` in a pipeline without sockets: handshakes between two embedded
/// channels, the plain/encrypted split, bounded failure and the handshake timeout.
@Suite struct PeerEncryptionHandlerTests {
    static let infoHash = SHA1.hash(Array("encrypted torrent".utf8))
    static let plainHandshake = Handshake(infoHash: infoHash, peerID: Array("-NE0001-abcdefghijkl".utf8)).bytes

    static func receiver(acceptPlain: Bool = true, methods: MSECryptoMethods = [.plaintext, .rc4],
                         padding: MSEHandshake.Padding = .random, timeout: TimeAmount = .seconds(15)) throws -> EmbeddedChannel {
        let key = SHA1.hash(Array("req2".utf8) + infoHash)
        let handler = PeerEncryptionHandler(role: .receiver(acceptPlain: acceptPlain) { $0 == key ? infoHash : nil },
                                            methods: methods, timeout: timeout, padding: padding)
        return try active(EmbeddedChannel(handler: handler))
    }

    static func initiator(methods: MSECryptoMethods, padding: MSEHandshake.Padding = .random) throws -> EmbeddedChannel {
        try active(EmbeddedChannel(handler: PeerEncryptionHandler(role: .initiator(infoHash: infoHash), methods: methods,
                                                                 padding: padding)))
    }

    static func active(_ channel: EmbeddedChannel) throws -> EmbeddedChannel {
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 6881)).wait()
        return channel
    }

    /// Moves every written byte to the other side until neither has more; returns what each read.
    @discardableResult
    static func pump(_ a: EmbeddedChannel, _ b: EmbeddedChannel, rounds: Int = 20) throws -> (toA: [UInt8], toB: [UInt8]) {
        var readByA: [UInt8] = []
        var readByB: [UInt8] = []
        for _ in 0..<rounds {
            var moved = false
            while let out = try a.readOutbound(as: ByteBuffer.self) {
                moved = true
                try b.writeInbound(out)
            }
            while let out = try b.readOutbound(as: ByteBuffer.self) {
                moved = true
                try a.writeInbound(out)
            }
            while let got = try a.readInbound(as: ByteBuffer.self) { readByA += got.readableBytesView }
            while let got = try b.readInbound(as: ByteBuffer.self) { readByB += got.readableBytesView }
            if !moved { break }
        }
        return (readByA, readByB)
    }

    func hasHandler(_ channel: EmbeddedChannel) -> Bool {
        (try? channel.pipeline.syncOperations.handler(type: PeerEncryptionHandler.self)) != nil
    }

    /// Writes made before the handshake ends (the BitTorrent handshake) arrive after it, in
    /// order; with RC4 both handlers stay, with plaintext both leave the pipeline.
    static let offers: [(MSECryptoMethods, MSECryptoMethods)] = [(.rc4, .rc4), ([.plaintext, .rc4], .plaintext)]

    @Test(arguments: offers)
    func handshakeThenPayloadBothWays(offered: MSECryptoMethods, expected: MSECryptoMethods) throws {
        let a = try Self.initiator(methods: offered, padding: .fixed(512))
        let b = try Self.receiver(padding: .fixed(512))
        let held = a.writeAndFlush(ByteBuffer(bytes: Self.plainHandshake))
        let first = try Self.pump(a, b)
        #expect(throws: Never.self) { try held.wait() }  // completed once the handshake let it out
        #expect(first.toA.isEmpty)
        #expect(first.toB == Self.plainHandshake, "\(first.toB.count) bytes")
        // B answers and both sides exchange a large message.
        let big = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        b.writeAndFlush(ByteBuffer(bytes: Self.plainHandshake), promise: nil)
        b.writeAndFlush(ByteBuffer(bytes: big), promise: nil)
        a.writeAndFlush(ByteBuffer(bytes: big), promise: nil)
        let (toA, toB) = try Self.pump(a, b)
        #expect(toA.count == Self.plainHandshake.count + big.count && toA == Self.plainHandshake + big, "\(toA.count) bytes")
        #expect(toB.count == big.count && toB == big, "\(toB.count) bytes")
        #expect(hasHandler(a) == (expected == .rc4))
        #expect(hasHandler(b) == (expected == .rc4))
        _ = try a.finish()
        _ = try b.finish()
    }

    /// The receiver sees a plain BitTorrent handshake, passes its bytes up untouched and leaves.
    @Test func plainHandshakePassesThrough() throws {
        let b = try Self.receiver()
        try b.writeInbound(ByteBuffer(bytes: Self.plainHandshake[0..<7]))
        #expect(try b.readInbound(as: ByteBuffer.self) == nil)
        try b.writeInbound(ByteBuffer(bytes: Self.plainHandshake[7...] + [0, 0, 0, 0]))
        var got: [UInt8] = []
        while let buffer = try b.readInbound(as: ByteBuffer.self) { got += buffer.readableBytesView }
        #expect(got == Self.plainHandshake + [0, 0, 0, 0])
        #expect(!hasHandler(b))
        _ = try b.finish()
    }

    /// The code of the error `body` throws (EmbeddedChannel rethrows what reached the pipeline's end).
    func caughtCode(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as WireError {
            return error.code.rawValue
        } catch let error as SwarmError {
            return error.code.rawValue
        } catch {
            return "\(error)"
        }
    }

    @Test func forcedEncryptionRefusesAPlainHandshake() throws {
        let b = try Self.receiver(acceptPlain: false)
        #expect(caughtCode { try b.writeInbound(ByteBuffer(bytes: Self.plainHandshake)) }
            == WireError.Code.encryptionNegotiationFailed.rawValue)
        #expect(!b.isActive)
    }

    /// Noise after a plausible key: a typed error and a closed connection, not a growing buffer.
    @Test func garbageClosesWithATypedError() throws {
        let b = try Self.receiver()
        try b.writeInbound(ByteBuffer(bytes: MSEKeyExchange().publicKey))
        #expect(b.isActive)
        var code: String?
        for _ in 0..<20 where code == nil { code = caughtCode { try b.writeInbound(ByteBuffer(bytes: SecureRandom.bytes(count: 100))) } }
        #expect(code == WireError.Code.invalidEncryptionHandshake.rawValue)
        #expect(!b.isActive)
    }

    /// A peer that sends part of a handshake and then nothing is closed once the timeout passes.
    @Test func stalledPeerTimesOut() throws {
        let b = try Self.receiver(timeout: .seconds(10))
        try b.writeInbound(ByteBuffer(bytes: MSEKeyExchange().publicKey.prefix(50)))
        b.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(b.isActive)
        b.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(caughtCode { try b.throwIfErrorCaught() } == SwarmError.Code.handshakeTimeout.rawValue)
        #expect(!b.isActive)
    }

    /// Writes held during a handshake that then fails are failed, not leaked.
    @Test func heldWritesFailWithTheHandshake() throws {
        let a = try Self.initiator(methods: .rc4)
        let promise = a.eventLoop.makePromise(of: Void.self)
        a.writeAndFlush(ByteBuffer(bytes: Self.plainHandshake), promise: promise)
        _ = try? a.writeInbound(ByteBuffer(bytes: [UInt8](repeating: 0, count: 96)))  // a zero key is refused
        #expect(throws: (any Error).self) { try promise.futureResult.wait() }
        #expect(!a.isActive)
    }

    /// Past the session's budget an encrypted handshake is refused before any key is made;
    /// plain handshakes are not counted.
    @Test func handshakeBudgetRefusesAFlood() throws {
        let budget = MSEHandshakeBudget(perSecond: 0.001, burst: 1)
        let key = SHA1.hash(Array("req2".utf8) + Self.infoHash)
        func receiver() throws -> EmbeddedChannel {
            try Self.active(EmbeddedChannel(handler: PeerEncryptionHandler(
                role: .receiver(acceptPlain: true) { $0 == key ? Self.infoHash : nil }, methods: [.plaintext, .rc4], budget: budget)))
        }
        let plain = try receiver()
        try plain.writeInbound(ByteBuffer(bytes: Self.plainHandshake))
        #expect(plain.isActive)
        let first = try receiver()
        try first.writeInbound(ByteBuffer(bytes: MSEKeyExchange().publicKey))
        #expect(first.isActive)
        let second = try receiver()
        #expect(caughtCode { try second.writeInbound(ByteBuffer(bytes: MSEKeyExchange().publicKey)) }
            == WireError.Code.encryptionNegotiationFailed.rawValue)
        #expect(!second.isActive)
    }

    /// Writes made after the connection closed mid-handshake fail at once.
    @Test func writesAfterCloseFail() throws {
        let a = try Self.initiator(methods: .rc4)
        try a.close().wait()
        let promise = a.eventLoop.makePromise(of: Void.self)
        a.pipeline.writeAndFlush(ByteBuffer(bytes: Self.plainHandshake), promise: promise)
        #expect(throws: (any Error).self) { try promise.futureResult.wait() }
    }
}
