import NERDWire
import NIOCore
import NIOHTTP1

/// Serves `/announce`, `/scrape` and `/metrics` on one HTTP/1.1 connection.
///
/// Protocol errors are answered as BitTorrent clients expect: HTTP 200 with a bencoded
/// `failure reason`. Request bodies are ignored; the HTTP codec bounds header size.
final class HTTPTrackerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    /// Answers go out as one pre-formatted buffer: NIOHTTP1 parses the requests, and the
    /// few fixed response headers are cheaper written once than encoded part by part.
    typealias OutboundOut = ByteBuffer

    private let server: TrackerServer.Core
    private let sweeper: IdleConnectionSweeper
    private var head: HTTPRequestHead?
    private var context: ChannelHandlerContext?
    /// The sweeper's round when this connection last sent something.
    private(set) var lastActiveRound = 0

    init(server: TrackerServer.Core, sweeper: IdleConnectionSweeper) {
        self.server = server
        self.sweeper = sweeper
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        lastActiveRound = sweeper.round
        sweeper.add(self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweeper.remove(self)
        self.context = nil
    }

    /// Silent too long: closed, so it cannot hold a descriptor forever.
    func closeIdle() {
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActiveRound = sweeper.round
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

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Malformed HTTP (the decoder's error): answer 400 once, then close. Anything else
        // (a reset connection) just closes.
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let response = Self.response(version: .http1_1, status: .badRequest, contentType: "text/plain",
                                     body: Array("bad request\n".utf8), keepAlive: false, allocator: context.channel.allocator)
        context.writeAndFlush(wrapOutboundOut(response)).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
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
            body = announce(query: query, headers: request.headers, context: context)
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
        let keepAlive = request.isKeepAlive
        let response = Self.response(version: request.version, status: status, contentType: contentType, body: body,
                                     keepAlive: keepAlive, allocator: context.channel.allocator)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(response)).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }

    /// Status line, the three headers a tracker answer needs, and the body, in one buffer.
    static func response(version: HTTPVersion, status: HTTPResponseStatus, contentType: String, body: [UInt8],
                         keepAlive: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: body.count + 128)
        if status == .ok, contentType == "text/plain", version == .http1_1 {
            // Every announce and scrape answer starts the same way.
            buffer.writeStaticString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ")
        } else {
            buffer.writeString("HTTP/\(version.major).\(version.minor) \(status.code) \(status.reasonPhrase)\r\n")
            buffer.writeString("Content-Type: \(contentType)\r\nContent-Length: ")
        }
        buffer.writeString(String(body.count))
        buffer.writeStaticString("\r\n")
        buffer.writeStaticString(keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n")
        buffer.writeBytes(body)
        return buffer
    }

    private func announce(query: Substring, headers: HTTPHeaders, context: ChannelHandlerContext) -> [UInt8] {
        do throws(TrackerError) {
            let request = try HTTPTrackerCodec.parseAnnounce(query: query)
            guard var ip = context.channel.remoteAddress?.ipBytes else {
                throw TrackerError(.invalidRequest, "no peer address")
            }
            if !server.trustedProxies.isEmpty, server.trustedProxies.contains(ip) {
                guard let client = Self.forwardedClient(headers, trusted: server.trustedProxies) else {
                    throw TrackerError(.invalidRequest, "came through a trusted proxy without a usable X-Forwarded-For")
                }
                ip = client
            }
            server.metrics.httpAnnounces.increment()
            let result = try server.registry.announce(request, compactAddress: ip + [UInt8(request.port >> 8), UInt8(request.port & 0xFF)])
            return HTTPTrackerCodec.encodeAnnounce(
                interval: server.interval, minInterval: server.minInterval, complete: result.complete,
                incomplete: result.incomplete, compact: request.compact, peers4: result.peers4, peers6: result.peers6,
                terms: result.terms, warning: result.refused?.message)
        } catch {
            // As over UDP: a torrent off the allow-list is a refusal, not a malformed request.
            if error.code == .notAllowed {
                server.metrics.notAllowed.increment()
            } else {
                server.metrics.badRequests.increment()
            }
            return HTTPTrackerCodec.encodeFailure(error.message)
        }
    }

    /// Most addresses read from `X-Forwarded-For`.
    static let maxForwardedHops = 16

    /// The client a chain of trusted proxies names: each proxy appends the address it saw, so
    /// read from the right, the first address that is not a trusted proxy. An entry may be an
    /// IPv4 or IPv6 address, `IPv4:port`, `[IPv6]` or `[IPv6]:port` (some proxies add ports).
    /// Entries left of the one chosen are not read: a client may have put anything there.
    /// - Returns: nil if the header is missing, has more than ``maxForwardedHops`` entries,
    ///   names only trusted proxies, or an entry that must be read is not an address.
    static func forwardedClient(_ headers: HTTPHeaders, trusted: TrustedProxies) -> [UInt8]? {
        var hops: [Substring] = []
        for line in headers["X-Forwarded-For"] {
            // Empty entries ("a, , b", a trailing comma) are skipped, as proxies do.
            for hop in line.split(separator: ",") where hop.contains(where: { $0 != " " && $0 != "\t" }) {
                hops.append(hop)
                guard hops.count <= maxForwardedHops else { return nil }
            }
        }
        for hop in hops.reversed() {
            guard let ip = forwardedAddress(hop) else { return nil }
            if !trusted.contains(ip) { return ip }
        }
        return nil
    }

    /// One `X-Forwarded-For` entry as address bytes, its port (if any) dropped.
    private static func forwardedAddress(_ entry: Substring) -> [UInt8]? {
        var text = entry
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        if text.first == "[" {
            guard let close = text.firstIndex(of: "]") else { return nil }
            return IPAddressText.parse(String(text[text.index(after: text.startIndex)..<close]))
        }
        // One colon: IPv4 and a port (an IPv6 address has at least two).
        if text.count(where: { $0 == ":" }) == 1, let colon = text.firstIndex(of: ":") {
            return IPAddressText.parse(String(text[..<colon]))
        }
        return IPAddressText.parse(String(text))
    }
}
