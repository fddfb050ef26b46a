import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix

/// One HTTP GET to a tracker over NIOHTTP1, reply read whole up to
/// ``HTTPTrackerCodec/maxResponseSize`` (gzip and deflate replies are inflated under the same
/// cap). No redirects, no TLS.
final class HTTPTrackerClient: Sendable {
    let group: EventLoopGroup
    let timeout: TimeAmount
    let userAgent: String

    private struct Open {
        var closed = false
        var channels: [ObjectIdentifier: Channel] = [:]
    }
    /// The connections of the requests still running, closed by `closeAll()`.
    private let open = NIOLockedValueBox(Open())

    init(group: EventLoopGroup, timeout: TimeAmount, userAgent: String) {
        self.group = group
        self.timeout = timeout
        self.userAgent = userAgent
    }

    /// Fails the requests still running (their connections close) and every later one.
    func closeAll() {
        let channels = open.withLockedValue { open in
            open.closed = true
            defer { open.channels = [:] }
            return Array(open.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// - Returns: the reply body (HTTP 200 only).
    /// - Throws: ``TrackerError`` `.network`, `.timeout`, or `.invalidResponse`.
    func get(_ url: TrackerURL, query: String) async throws(TrackerError) -> [UInt8] {
        let separator = url.pathAndQuery.contains("?") ? "&" : "?"
        let target = url.pathAndQuery + separator + query
        let loop = group.next()
        let promise = loop.makePromise(of: [UInt8].self)
        let collector = ResponseCollector(promise: promise)
        let hostHeader = url.host.contains(":") ? "[\(url.host)]:\(url.port)" : "\(url.host):\(url.port)"
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.addHTTPClientHandlers()
                        try sync.addHandler(NIOHTTPResponseDecompressor(limit: .size(HTTPTrackerCodec.maxResponseSize)))
                        try sync.addHandler(collector)
                    }
                }
                .connect(host: url.host, port: url.port).get()
        } catch {
            // NIO requires every promise to be completed (debug builds stop on a leaked one).
            // A failed connect reports per address tried; the first says why (Connection refused).
            let cause = (error as? NIOConnectionError)?.connectionErrors.first?.error ?? error
            let failure = TrackerError(.network, "cannot connect to \(url): \(socketErrorText(cause))")
            promise.fail(failure)
            throw failure
        }
        let key = ObjectIdentifier(channel)
        let admitted = open.withLockedValue { open in
            if !open.closed { open.channels[key] = channel }
            return !open.closed
        }
        guard admitted else {
            channel.close(promise: nil)
            let failure = TrackerError(.network, "the tracker client was shut down")
            promise.fail(failure)
            throw failure
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: hostHeader)
        headers.add(name: "User-Agent", value: userAgent)
        headers.add(name: "Accept-Encoding", value: "gzip, deflate")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let deadline = loop.scheduleTask(in: timeout) { [timeout] in
            promise.fail(TrackerError(.timeout, "\(url) did not answer within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        defer {
            deadline.cancel()
            channel.close(promise: nil)
            _ = open.withLockedValue { $0.channels.removeValue(forKey: key) }
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as TrackerError {
            throw error
        } catch {
            throw TrackerError(.network, "\(url): \(error)")
        }
    }
}

/// Gathers one response body, failing on a non-200 status, an oversized body, or a close
/// before the end.
private final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<[UInt8]>
    private nonisolated(unsafe) var body: [UInt8] = []
    private nonisolated(unsafe) var status: HTTPResponseStatus = .ok

    init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var buffer):
            guard body.count + buffer.readableBytes <= HTTPTrackerCodec.maxResponseSize else {
                promise.fail(TrackerError(.invalidResponse, "reply larger than \(HTTPTrackerCodec.maxResponseSize) bytes"))
                context.close(promise: nil)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            if status == .ok {
                promise.succeed(body)
            } else {
                promise.fail(TrackerError(.invalidResponse, "HTTP \(status.code) \(status.reasonPhrase)"))
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(TrackerError(.invalidResponse, "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TrackerError(.network, "connection closed before the reply ended"))
    }
}
