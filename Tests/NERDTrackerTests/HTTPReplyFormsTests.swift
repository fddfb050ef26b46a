import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import Testing

@testable import NERDTracker

/// Reply forms a real HTTP tracker may use: gzip-compressed bodies, error statuses, bodies
/// larger than the client accepts.
@Suite struct HTTPReplyFormsTests {
    /// A one-route HTTP server answering every request with `body` (compressed when the
    /// client accepts it and `compress` is set).
    final class FixedReply: ChannelInboundHandler, Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let body: [UInt8]
        let status: HTTPResponseStatus
        init(body: [UInt8], status: HTTPResponseStatus) {
            self.body = body
            self.status = status
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }

    func serve(_ body: [UInt8], status: HTTPResponseStatus = .ok, compress: Bool,
               _ check: (String) async throws -> Void) async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline()
                    if compress { try sync.addHandler(HTTPResponseCompressor()) }
                    try sync.addHandler(FixedReply(body: body, status: status))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let url = "http://127.0.0.1:\(channel.localAddress!.port!)/announce"
        do { try await check(url) } catch {
            try? await channel.close()
            throw error
        }
        try await channel.close()
    }

    let request = AnnounceRequest(infoHash: Array(repeating: 1, count: 20), peerID: Array(repeating: 2, count: 20), port: 1, left: 5)

    @Test func gzipRepliesAreInflated() async throws {
        // Compressible on purpose: 500 peers, so the body really shrinks on the wire.
        let peers = (0..<500).flatMap { i in TrackerPeer(ip: [127, 0, 0, 1], port: UInt16(1000 + i % 7)).compact }
        let body = HTTPTrackerCodec.encodeAnnounce(interval: 60, minInterval: 30, complete: 1, incomplete: 2, compact: true,
                                                   peers4: peers, peers6: [], terms: [])
        try await serve(body, compress: true) { url in
            let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(5)))
            let reply = try await client.announce(url, request)
            await client.shutdown()
            #expect(reply.peers.count == 500 && reply.interval == 60)
        }
    }

    @Test func errorStatusesAndOversizedBodiesAreTypedErrors() async throws {
        try await serve(Array("gone".utf8), status: .notFound, compress: false) { url in
            let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(5)))
            await #expect { _ = try await client.announce(url, request) } throws: {
                ($0 as? TrackerError)?.code == .invalidResponse
            }
            await client.shutdown()
        }
        // 2 MiB of zeros inflate past the 1 MiB cap from a tiny compressed body.
        try await serve([UInt8](repeating: 0x30, count: 2 << 20), compress: true) { url in
            let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(5)))
            await #expect { _ = try await client.announce(url, request) } throws: {
                ($0 as? TrackerError)?.code == .invalidResponse
            }
            await client.shutdown()
        }
    }
}
