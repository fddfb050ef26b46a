import Foundation
import NERDPayments
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A loopback stand-in for an ARC server: records requests and answers `POST /v1/tx` and
/// `GET /v1/tx/{txid}` as ARC documents them.
final class ARCStub: @unchecked Sendable {
    struct Request {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: Data
    }

    enum Mode { case accept, rejectFee, serverError }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: Channel?
    private let state = NIOLockedValueBox<(requests: [Request], mode: Mode, mined: Set<String>)>(([], .accept, []))
    private(set) var port = 0

    var requests: [Request] { state.withLockedValue { $0.requests } }
    func set(_ mode: Mode) { state.withLockedValue { $0.mode = mode } }
    func markMined(_ txid: String) { _ = state.withLockedValue { $0.mined.insert(txid) } }

    func start() throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap { channel.pipeline.addHandler(Handler(stub: self)) }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// - Returns: status and JSON body for a request.
    func answer(_ request: Request) -> (HTTPResponseStatus, [String: Any]) {
        let (mode, mined) = state.withLockedValue { state in
            state.requests.append(request)
            return (state.mode, state.mined)
        }
        if request.method == "POST" && request.uri == "/v1/tx" {
            switch mode {
            case .serverError:
                return (.internalServerError, ["title": "internal"])
            case .rejectFee:
                return (HTTPResponseStatus(statusCode: 465), ["status": 465, "title": "Fee too low", "detail": "The fees are too low"])
            case .accept:
                let json = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any]
                guard let raw = json?["rawTx"] as? String, let tx = try? Transaction(hex: raw) else {
                    return (HTTPResponseStatus(statusCode: 461), ["status": 461, "title": "Malformed transaction"])
                }
                return (.ok, ["txid": tx.txid.hex, "txStatus": "SEEN_ON_NETWORK", "status": 200, "title": "OK"])
            }
        }
        if request.method == "GET", request.uri == "/v1/policy" {
            return (.ok, ["policy": ["maxscriptsizepolicy": 100_000_000, "miningFee": ["satoshis": 1, "bytes": 20]], "timestamp": "2026-11-29T00:00:00Z"])
        }
        if request.method == "GET", request.uri.hasPrefix("/v1/tx/") {
            let txid = String(request.uri.dropFirst("/v1/tx/".count))
            guard mined.contains(txid) else { return (.notFound, ["status": 404, "title": "Not found"]) }
            return (.ok, ["txid": txid, "txStatus": "MINED", "blockHeight": 800_123])
        }
        return (.notFound, [:])
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let stub: ARCStub
        var head: HTTPRequestHead?
        var body = Data()

        init(stub: ARCStub) { self.stub = stub }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let h):
                head = h
                body = Data()
            case .body(var buffer):
                body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let (status, json) = stub.answer(Request(method: "\(head.method.rawValue)", uri: head.uri, headers: headers, body: body))
                let payload = (try? JSONSerialization.data(withJSONObject: json)) ?? Data()
                var responseHeaders = HTTPHeaders()
                responseHeaders.add(name: "Content-Type", value: "application/json")
                responseHeaders.add(name: "Content-Length", value: "\(payload.count)")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: responseHeaders))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: payload)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
