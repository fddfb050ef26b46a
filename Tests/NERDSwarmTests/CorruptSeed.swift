import NERDWire
import NERDSwarm
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A hostile peer for tests: it claims every piece, unchokes, and answers each request
/// with the right number of wrong bytes, or (`silent`) never answers at all.
final class CorruptSeed: Sendable {
    let address: PeerAddress
    private let channel: Channel
    private let group: MultiThreadedEventLoopGroup
    private let connections: NIOLockedValueBox<Int>

    private init(address: PeerAddress, channel: Channel, group: MultiThreadedEventLoopGroup, connections: NIOLockedValueBox<Int>) {
        self.address = address
        self.channel = channel
        self.group = group
        self.connections = connections
    }

    func connectionCount() -> Int { connections.withLockedValue { $0 } }

    static func start(metainfo: Metainfo, silent: Bool = false) async throws -> CorruptSeed {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let connections = NIOLockedValueBox(0)
        let infoHash = metainfo.infoHashes.wireBytes
        let pieceCount = metainfo.pieceCount
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                connections.withLockedValue { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(PeerWireDecoder()))
                    try channel.pipeline.syncOperations.addHandler(PeerWireEncoder())
                    try channel.pipeline.syncOperations.addHandler(Handler(infoHash: infoHash, pieceCount: pieceCount, silent: silent))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CorruptSeed(address: PeerAddress(host: "127.0.0.1", port: channel.localAddress!.port!), channel: channel,
                           group: group, connections: connections)
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = PeerWireFrame
        typealias OutboundOut = PeerWireFrame
        let infoHash: [UInt8]
        let pieceCount: Int
        let silent: Bool

        init(infoHash: [UInt8], pieceCount: Int, silent: Bool) {
            self.infoHash = infoHash
            self.pieceCount = pieceCount
            self.silent = silent
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .handshake:
                let peerID = Array("-XX0001-".utf8) + (0..<12).map { _ in UInt8.random(in: 97...122) }
                context.write(wrapOutboundOut(.handshake(Handshake(reserved: [], infoHash: infoHash, peerID: peerID))), promise: nil)
                let full = Bitfield(count: pieceCount, full: true)
                context.write(wrapOutboundOut(.message(.bitfield(ByteBuffer(bytes: full.bytes)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.message(.unchoke)), promise: nil)
            case .message(.request(let r)):
                if silent { return }
                let junk = ByteBuffer(repeating: 0x5A, count: Int(r.length))
                context.writeAndFlush(wrapOutboundOut(.message(.piece(index: r.index, begin: r.begin, block: junk))), promise: nil)
            case .message:
                break
            }
        }
    }
}
