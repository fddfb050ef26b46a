import NIOConcurrencyHelpers
import NERDWire
import NIOCore
import NIOPosix

/// BEP 15 over one long-lived UDP socket per address family: connection IDs cached for a
/// minute per tracker, requests retransmitted after 15·2ⁿ seconds (the base and the
/// largest n are configurable), replies matched by transaction ID and source address.
final class UDPTrackerClient: Sendable {
    let group: EventLoopGroup
    let baseTimeout: TimeAmount
    let maxRetries: Int
    let loopbackOnly: Bool
    /// BEP 15: a client may use a connection ID for one minute.
    static let connectionIDLifetime = TimeAmount.seconds(60)

    private struct State {
        var closed = false
        var sockets: [Int: EventLoopFuture<(Channel, UDPExchange)>] = [:]
        var connectionIDs: [SocketAddress: (id: UInt64, expires: NIODeadline)] = [:]
    }

    private let state = NIOLockedValueBox(State())

    init(group: EventLoopGroup, baseTimeout: TimeAmount, maxRetries: Int, loopbackOnly: Bool) {
        self.group = group
        self.baseTimeout = baseTimeout
        self.maxRetries = max(0, maxRetries)
        self.loopbackOnly = loopbackOnly
    }

    /// - Parameter maxRetries: the largest n tried, in place of the client's.
    func announce(_ url: TrackerURL, request: AnnounceRequest, maxRetries: Int? = nil) async throws(TrackerError) -> AnnounceResponse {
        let reply = try await exchange(url, maxRetries: maxRetries ?? self.maxRetries) { cid, tid in
            .announceRequest(connectionID: cid, transactionID: tid, request: request)
        }
        guard case .announceResponse(_, let interval, let leechers, let seeders, let peers) = reply else {
            throw TrackerError(.invalidResponse, "\(url) answered an announce with another action")
        }
        return AnnounceResponse(interval: Int(interval), complete: Int(seeders), incomplete: Int(leechers), peers: peers)
    }

    func scrape(_ url: TrackerURL, infoHashes: [[UInt8]]) async throws(TrackerError) -> [[UInt8]: ScrapeEntry] {
        guard !infoHashes.isEmpty, infoHashes.count <= UDPTrackerMessage.maxScrapeHashes else {
            throw TrackerError(.invalidRequest, "a UDP scrape takes 1 to \(UDPTrackerMessage.maxScrapeHashes) info-hashes")
        }
        let reply = try await exchange(url, maxRetries: maxRetries) { cid, tid in
            .scrapeRequest(connectionID: cid, transactionID: tid, infoHashes: infoHashes)
        }
        guard case .scrapeResponse(_, let entries) = reply, entries.count == infoHashes.count else {
            throw TrackerError(.invalidResponse, "\(url) answered a scrape badly")
        }
        return Dictionary(zip(infoHashes, entries), uniquingKeysWith: { a, _ in a })
    }

    func shutdown() async {
        let sockets = state.withLockedValue { state in
            state.closed = true
            defer { state.sockets = [:] }
            return Array(state.sockets.values)
        }
        for socket in sockets { try? await socket.get().0.close().get() }
    }

    // MARK: Exchanges

    private func exchange(_ url: TrackerURL, maxRetries: Int, request: @escaping @Sendable (UInt64, UInt32) -> UDPTrackerMessage)
        async throws(TrackerError) -> UDPTrackerMessage
    {
        let address: SocketAddress
        do { address = try SocketAddress.makeAddressResolvingHost(url.host, port: url.port) } catch {
            throw TrackerError(.network, "cannot resolve \(url.host): \(error)")
        }
        if loopbackOnly, !address.isLoopbackIP {
            throw TrackerError(.loopbackGuard, "\(url) is not a loopback address and the loopback-only guard is on")
        }
        let (channel, handler) = try await socket(for: address)
        var lastError = TrackerError(.timeout, "\(url) did not answer")
        for attempt in 0...max(0, maxRetries) {
            let timeout = TimeAmount.nanoseconds(baseTimeout.nanoseconds << attempt)
            do {
                var connectionID = validConnectionID(for: address)
                if connectionID == nil {
                    let tid = UInt32.random(in: .min ... .max)
                    let reply = try await handler.send(.connectRequest(transactionID: tid), tid: tid, to: address,
                                                       on: channel, timeout: timeout)
                    guard case .connectResponse(_, let id) = reply else {
                        throw TrackerError(.invalidResponse, "\(url) answered connect with another action")
                    }
                    state.withLockedValue {
                        $0.connectionIDs[address] = (id, .now() + Self.connectionIDLifetime)
                    }
                    connectionID = id
                }
                let tid = UInt32.random(in: .min ... .max)
                let reply = try await handler.send(request(connectionID!, tid), tid: tid, to: address, on: channel,
                                                   timeout: timeout)
                if case .error(_, let message) = reply {
                    // The ID may have expired on the tracker's side: fetch a new one next time.
                    _ = state.withLockedValue { $0.connectionIDs.removeValue(forKey: address) }
                    throw TrackerError(.trackerFailure, message)
                }
                return reply
            } catch let error as TrackerError where error.code == .timeout {
                lastError = TrackerError(.timeout, "\(url) did not answer after \(attempt + 1) tries")
            } catch let error as TrackerError {
                throw error
            } catch {
                throw TrackerError(.network, "\(url): \(error)")
            }
        }
        throw lastError
    }

    private func validConnectionID(for address: SocketAddress) -> UInt64? {
        state.withLockedValue { state in
            guard let entry = state.connectionIDs[address], entry.expires > .now() else { return nil }
            return entry.id
        }
    }

    private func socket(for address: SocketAddress) async throws(TrackerError) -> (Channel, UDPExchange) {
        let family = address.protocol.rawValue
        let isV6: Bool = if case .v6 = address { true } else { false }
        let future = state.withLockedValue { state -> EventLoopFuture<(Channel, UDPExchange)>? in
            guard !state.closed else { return nil }
            if let existing = state.sockets[Int(family)] { return existing }
            let host = isV6 ? (loopbackOnly ? "::1" : "::") : (loopbackOnly ? "127.0.0.1" : "0.0.0.0")
            let handler = UDPExchange()
            let made = DatagramBootstrap(group: group)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: UDPTrackerMessage.maxPacketSize))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                .bind(host: host, port: 0)
                .map { ($0, handler) }
            state.sockets[Int(family)] = made
            return made
        }
        guard let future else { throw TrackerError(.network, "the tracker client was shut down") }
        do { return try await future.get() } catch {
            state.withLockedValue { $0.sockets[Int(family)] = nil }
            throw TrackerError(.network, "cannot open a UDP socket: \(error)")
        }
    }
}

/// Matches replies to waiting requests on one socket. Touched only on its channel's loop.
final class UDPExchange: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private var waiting: [UInt32: (address: SocketAddress, promise: EventLoopPromise<UDPTrackerMessage>)] = [:]

    func send(_ message: UDPTrackerMessage, tid: UInt32, to address: SocketAddress, on channel: Channel,
              timeout: TimeAmount) async throws -> UDPTrackerMessage {
        let loop = channel.eventLoop
        let future = loop.flatSubmit { () -> EventLoopFuture<UDPTrackerMessage> in
            // Closed by the client's shutdown between tries: no timer would be worth waiting for.
            guard channel.isActive else {
                return loop.makeFailedFuture(TrackerError(.network, "the tracker client was shut down"))
                    as EventLoopFuture<UDPTrackerMessage>
            }
            let promise = loop.makePromise(of: UDPTrackerMessage.self)
            self.waiting[tid] = (address, promise)
            var buffer = channel.allocator.buffer(capacity: 128)
            message.write(to: &buffer)
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
            let timer = loop.scheduleTask(in: timeout) {
                if let entry = self.waiting.removeValue(forKey: tid) {
                    entry.promise.fail(TrackerError(.timeout, "no reply"))
                }
            }
            promise.futureResult.whenComplete { _ in timer.cancel() }
            return promise.futureResult
        }
        return try await future.get()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let addressLength = if case .v6 = envelope.remoteAddress { 16 } else { 4 }
        guard let reply = UDPTrackerMessage.parseResponse(envelope.data, addressLength: addressLength) else { return }
        let tid: UInt32
        switch reply {
        case .connectResponse(let t, _), .announceResponse(let t, _, _, _, _), .scrapeResponse(let t, _), .error(let t, _):
            tid = t
        default:
            return
        }
        // A reply from any other address is ignored: it cannot be the tracker's.
        guard let entry = waiting[tid], entry.address == envelope.remoteAddress else { return }
        waiting[tid] = nil
        entry.promise.succeed(reply)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP port unreachable shows up here; the waiting request times out and is retried.
    }

    /// The client shut down with requests waiting: they fail now, as their timers will not run.
    func channelInactive(context: ChannelHandlerContext) {
        let entries = waiting.values
        waiting = [:]
        for entry in entries { entry.promise.fail(TrackerError(.network, "the tracker client was shut down")) }
        context.fireChannelInactive()
    }
}
