import NERDCrypto
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// BEP 9 between NERD sessions, with a lying peer in the swarm.
@Suite(.serialized) struct MetadataFetchTests {
    func peers(_ addresses: [PeerAddress]) -> AsyncStream<PeerAddress> {
        AsyncStream { continuation in
            for address in addresses { continuation.yield(address) }
            continuation.finish()
        }
    }

    @Test func aLiarsPiecesNeverSpoilTheHonestSeeds() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = try await SwarmTransferTests.startedSeeder(dir, metainfo)
        let liar = try await LyingMetadataPeer.start(infoHash: metainfo.infoHashes.wireBytes, size: metainfo.infoBytes.count)
        let fetcher = MetadataFetcher(infoHash: metainfo.infoHashes.wireBytes, peerID: Handshake.makePeerID(random: SecureRandom.bytes(count: 12)),
                                      loopbackOnly: true)
        // The liar first, so its pieces arrive before the honest ones.
        let info = try await fetcher.fetch(from: peers([liar.address, try #require(seeder.listenAddress)]), timeout: .seconds(20))
        #expect(info == metainfo.infoBytes)
        #expect(liar.servedPieces() >= 1, "the liar was asked and answered")
        await seeder.shutdown()
        try await liar.stop()
    }

    /// A seed that comes up after the fetch began (the `--peer` of a magnet download started
    /// first), and one that forces encryption, are both reached: peers are dialled again, and
    /// the second dial is encrypted.
    @Test(arguments: ["late", "forced encryption"])
    func seedsAreDialledAgain(case name: String) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        // A port below Linux's ephemeral range (32768 up): dialling a port in that range with
        // nothing listening can connect the dialler to itself, which then holds the port.
        var port = 0
        for _ in 0..<50 where port == 0 {
            let candidate = Int.random(in: 20_000..<32_000)
            if let probe = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: candidate).get()
            {
                try await probe.close()
                port = candidate
            }
        }
        try #require(port != 0)
        var configuration = SwarmSession.Configuration(listen: PeerAddress(host: "127.0.0.1", port: port), loopbackOnly: true)
        if name == "forced encryption" { configuration.encryption = .forced }
        let seeder = SwarmSession(configuration: configuration)
        if name != "late" {
            try await seeder.start()
            _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        }
        let fetcher = MetadataFetcher(infoHash: metainfo.infoHashes.wireBytes, peerID: Handshake.makePeerID(random: SecureRandom.bytes(count: 12)),
                                      loopbackOnly: true)
        let fetch = Task { try await fetcher.fetch(from: peers([PeerAddress(host: "127.0.0.1", port: port)]), timeout: .seconds(20)) }
        if name == "late" {
            try await Task.sleep(for: .milliseconds(1500))
            try await seeder.start()
            _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        }
        #expect(try await fetch.value == metainfo.infoBytes)
        await seeder.shutdown()
    }

    @Test func onlyLiarsMeansATypedFailure() async throws {
        let hash = SHA1.hash(Array("nothing".utf8))
        let liar = try await LyingMetadataPeer.start(infoHash: hash, size: 40_000)
        let fetcher = MetadataFetcher(infoHash: hash, peerID: Handshake.makePeerID(random: SecureRandom.bytes(count: 12)), loopbackOnly: true)
        await #expect {
            _ = try await fetcher.fetch(from: peers([liar.address]), timeout: .seconds(3))
        } throws: { ($0 as? SwarmError)?.code == .metadataUnavailable }
        try await liar.stop()
    }
}

/// A peer that offers `ut_metadata` of the right size and sends garbage for every piece.
final class LyingMetadataPeer: Sendable {
    let address: PeerAddress
    private let channel: Channel
    private let group: MultiThreadedEventLoopGroup
    private let served: NIOLockedValueBox<Int>

    private init(address: PeerAddress, channel: Channel, group: MultiThreadedEventLoopGroup, served: NIOLockedValueBox<Int>) {
        self.address = address
        self.channel = channel
        self.group = group
        self.served = served
    }

    func servedPieces() -> Int { served.withLockedValue { $0 } }

    static func start(infoHash: [UInt8], size: Int) async throws -> LyingMetadataPeer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let served = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PeerWireDecoder()))
                    try channel.pipeline.syncOperations.addHandler(PeerWireEncoder())
                    try channel.pipeline.syncOperations.addHandler(Handler(infoHash: infoHash, size: size, served: served))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LyingMetadataPeer(address: PeerAddress(host: "127.0.0.1", port: channel.localAddress!.port!), channel: channel,
                                 group: group, served: served)
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = PeerWireFrame
        typealias OutboundOut = PeerWireFrame
        let infoHash: [UInt8]
        let size: Int
        let served: NIOLockedValueBox<Int>
        var theirID: UInt8 = 0

        init(infoHash: [UInt8], size: Int, served: NIOLockedValueBox<Int>) {
            self.infoHash = infoHash
            self.size = size
            self.served = served
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .handshake:
                context.write(wrapOutboundOut(.handshake(Handshake(infoHash: infoHash, peerID: Array(repeating: 0x4C, count: 20)))), promise: nil)
                let ours = ExtensionHandshake(messageIDs: ["ut_metadata": 3], client: "liar", metadataSize: size)
                context.writeAndFlush(wrapOutboundOut(.message(.extended(id: 0, payload: ByteBuffer(bytes: ours.payload)))), promise: nil)
            case .message(.extended(0, let payload)):
                theirID = (try? ExtensionHandshake(payload: Array(payload.readableBytesView)))?.messageIDs["ut_metadata"] ?? 0
            case .message(.extended(3, let payload)):
                guard case .request(let piece)? = try? MetadataMessage(payload: Array(payload.readableBytesView)) else { return }
                let junk = [UInt8](repeating: 0x6A, count: MetadataMessage.length(ofPiece: piece, totalSize: size))
                served.withLockedValue { $0 += 1 }
                let reply = MetadataMessage.data(piece: piece, totalSize: size, bytes: junk).payload
                context.writeAndFlush(wrapOutboundOut(.message(.extended(id: theirID, payload: ByteBuffer(bytes: reply)))), promise: nil)
            default:
                break
            }
        }
    }
}
