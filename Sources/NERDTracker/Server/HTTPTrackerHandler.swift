import NERDWire
import NIOCore
import NIOHTTP1

/// Serves `/announce`, `/scrape` and `/metrics` on one HTTP/1.1 connection.
///
/// Protocol errors are answered as BitTorrent clients expect: HTTP 200 with a bencoded
/// `failure reason`. Request bodies are ignored; the HTTP codec bounds header size.
final class HTTPTrackerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: TrackerServer.Core
    private var head: HTTPRequestHead?

    init(server: TrackerServer.Core) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    /// A client that sends requests without reading the answers would make NIO buffer them
    /// without bound: stop reading from it until its answers drain.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable).whenFailure { _ in }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Malformed HTTP (the decoder's error): answer 400 once, then close. Anything else
        // (a reset connection) just closes.
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let body = "bad request\n"
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        server.metrics.badRequests.increment()
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let uri = request.uri
        let question = uri.firstIndex(of: "?")
        let path = question.map { uri[..<$0] } ?? uri[...]
        let query = question.map { uri[uri.index(after: $0)...] } ?? ""
        var status = HTTPResponseStatus.ok
        var contentType = "text/plain"
        let body: [UInt8]
        switch path {
        case "/announce":
            body = announce(query: query, context: context)
        case "/scrape":
            do {
                let hashes = try HTTPTrackerCodec.parseScrape(query: query)
                server.metrics.scrapes.increment()
                body = HTTPTrackerCodec.encodeScrape(Array(zip(hashes, server.registry.scrape(hashes))))
            } catch {
                server.metrics.badRequests.increment()
                body = HTTPTrackerCodec.encodeFailure(error.message)
            }
        case "/metrics":
            contentType = "text/plain; version=0.0.4"
            server.metrics.record(server.registry.statistics())
            body = server.metrics.exposition()
        default:
            status = .notFound
            body = Array("not found\n".utf8)
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let head = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            done.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }

    private func announce(query: Substring, context: ChannelHandlerContext) -> [UInt8] {
        do throws(TrackerError) {
            let request = try HTTPTrackerCodec.parseAnnounce(query: query)
            guard let ip = context.channel.remoteAddress?.ipBytes else {
                throw TrackerError(.invalidRequest, "no peer address")
            }
            server.metrics.httpAnnounces.increment()
            let result = try server.registry.announce(request, compactAddress: ip + [UInt8(request.port >> 8), UInt8(request.port & 0xFF)])
            return HTTPTrackerCodec.encodeAnnounce(
                interval: server.interval, minInterval: server.minInterval, complete: result.complete,
                incomplete: result.incomplete, compact: request.compact, peers4: result.peers4, peers6: result.peers6,
                terms: result.terms)
        } catch {
            server.metrics.badRequests.increment()
            return HTTPTrackerCodec.encodeFailure(error.message)
        }
    }
}

private extension ChannelHandlerContext {
    func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
