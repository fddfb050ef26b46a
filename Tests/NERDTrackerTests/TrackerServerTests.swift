import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import NERDTracker

/// A live tracker on loopback, driven by the NERD client and by raw sockets.
@Suite(.serialized) struct TrackerServerTests {
    static let hash = [UInt8](repeating: 0x5A, count: 20)

    func withTracker(_ configuration: TrackerServer.Configuration = .init(http: ("127.0.0.1", 0), udp: ("127.0.0.1", 0),
                                                                          interval: 120, loopbackOnly: true, threads: 2),
                     _ body: (TrackerServer, TrackerClient) async throws -> Void) async throws {
        let server = TrackerServer(configuration: configuration)
        try await server.start()
        let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(5),
                                                        udpBaseTimeout: .milliseconds(300), udpMaxRetries: 1))
        do {
            try await body(server, client)
        } catch {
            await client.shutdown()
            await server.shutdown()
            throw error
        }
        await client.shutdown()
        await server.shutdown()
    }

    func request(port: UInt16, left: Int64 = 10, event: AnnounceRequest.Event = .started) -> AnnounceRequest {
        AnnounceRequest(infoHash: Self.hash, peerID: Array("-NE0001-\(String(format: "%012d", port))".utf8), port: port,
                        left: left, event: event)
    }

    @Test func httpAndUDPAnnouncesShareOneSwarm() async throws {
        try await withTracker { server, client in
            let http = "http://\(server.httpAddress!)/announce"
            let udp = "udp://\(server.udpAddress!)/announce"
            let first = try await client.announce(http, request(port: 1001, left: 0))
            #expect(first.peers.isEmpty && first.interval == 120)
            let second = try await client.announce(udp, request(port: 1002))
            #expect(second.peers == [TrackerPeer(ip: [127, 0, 0, 1], port: 1001)])
            #expect(second.complete == 1 && second.incomplete == 1)
            let third = try await client.announce(http, request(port: 1003, event: .none))
            #expect(Set(third.peers.map(\.port)) == [1001, 1002])
            for url in [http, udp] {
                let counts = try await client.scrape(url, infoHashes: [Self.hash])
                #expect(counts[Self.hash] == ScrapeEntry(complete: 1, downloaded: 0, incomplete: 2))
            }
            _ = try await client.announce(udp, request(port: 1002, left: 0, event: .completed))
            _ = try await client.announce(http, request(port: 1003, event: .stopped))
            let counts = try await client.scrape(udp, infoHashes: [Self.hash])
            #expect(counts[Self.hash] == ScrapeEntry(complete: 2, downloaded: 1, incomplete: 0))
        }
    }

    /// A peer past the per-address limit still gets peers, and over HTTP a warning message.
    @Test func perAddressLimitIsWarnedAboutOverHTTP() async throws {
        let configuration = TrackerServer.Configuration(http: ("127.0.0.1", 0), udp: ("127.0.0.1", 0), interval: 120,
                                                        limits: .init(maxPeersPerAddress: 2), loopbackOnly: true, threads: 1)
        try await withTracker(configuration) { server, client in
            let http = "http://\(server.httpAddress!)/announce"
            #expect(try await client.announce(http, request(port: 1001)).warning == nil)
            #expect(try await client.announce("udp://\(server.udpAddress!)/announce", request(port: 1002)).warning == nil)
            let third = try await client.announce(http, request(port: 1003))
            #expect(third.warning == "this address holds its maximum of peers in the swarm")
            #expect(Set(third.peers.map(\.port)) == [1001, 1002])
            #expect(server.registry.statistics().peers == 2)
        }
    }

    /// Behind a reverse proxy, announces name the client in `X-Forwarded-For`: believed from a
    /// trusted proxy only, so a client elsewhere cannot choose the address others are given.
    @Test func forwardedForIsBelievedFromTrustedProxiesOnly() async throws {
        func announce(_ server: TrackerServer, port: UInt16, forwardedFor: String?) async throws -> AnnounceResponse {
            var asked = request(port: port)
            asked.compact = false  // a text reply: the raw reader decodes UTF-8
            let query = HTTPTrackerCodec.query(for: asked)
            let header = forwardedFor.map { "X-Forwarded-For: \($0)\r\n" } ?? ""
            let text = try await Self.raw(server.httpAddress!, "GET /announce?\(query) HTTP/1.1\r\nHost: x\r\n\(header)Connection: close\r\n\r\n")
            let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            return try HTTPTrackerCodec.parseAnnounceResponse(Array(body.utf8))
        }
        var configuration = TrackerServer.Configuration(http: ("127.0.0.1", 0), udp: nil, interval: 120, loopbackOnly: true, threads: 1)
        configuration.trustedProxies = ["127.0.0.1", "10.0.0.0/8", "2001:db8:aa::/48"]
        try await withTracker(configuration) { server, _ in
            // The client's address, then the proxies' (read from the right, past trusted ones).
            _ = try await announce(server, port: 4001, forwardedFor: "203.0.113.9, 10.200.0.1, 2001:db8:aa::7")
            let second = try await announce(server, port: 4002, forwardedFor: "198.51.100.7")
            #expect(second.peers == [TrackerPeer(ip: [203, 0, 113, 9], port: 4001)])
            // A spoofed first hop does not matter: the address the proxy saw is the last one.
            let third = try await announce(server, port: 4003, forwardedFor: "1.2.3.4,2001:db8::5")
            #expect(Set(third.peers.map(\.ip)) == [[203, 0, 113, 9], [198, 51, 100, 7]])
            // Forms some proxies write: an IPv4 address with a port, a bracketed IPv6 one with a port.
            _ = try await announce(server, port: 4004, forwardedFor: "192.0.2.44:51000")
            let fifth = try await announce(server, port: 4005, forwardedFor: "[2001:db8::6]:443, 10.0.0.1")
            #expect(fifth.peers.contains(TrackerPeer(ip: [192, 0, 2, 44], port: 4004)))
            #expect(server.registry.statistics().peers == 5)
            for bad in [nil, "", "not-an-ip", "10.0.0.1", "[2001:db8::7", Array(repeating: "192.0.2.1", count: 17).joined(separator: ",")] {
                await #expect("X-Forwarded-For \(bad ?? "missing")") {
                    _ = try await announce(server, port: 4006, forwardedFor: bad)
                } throws: {
                    ($0 as? TrackerError)?.code == .trackerFailure && ($0 as? TrackerError)?.message.contains("X-Forwarded-For") == true
                }
            }
            #expect(server.registry.statistics().peers == 5)
        }
        // Without trusted proxies the header is ignored: the socket's address counts.
        try await withTracker { server, _ in
            _ = try await announce(server, port: 4001, forwardedFor: "203.0.113.9")
            let second = try await announce(server, port: 4002, forwardedFor: nil)
            #expect(second.peers == [TrackerPeer(ip: [127, 0, 0, 1], port: 4001)])
        }
        var bad = TrackerServer.Configuration(http: ("127.0.0.1", 0), udp: nil, loopbackOnly: true)
        for entry in ["proxy.example", "10.0.0.0/33", "10.0.0.0/", "2001:db8::/129", "10.0.0.0/-1", "10.0.0.0/8/8"] {
            bad.trustedProxies = ["127.0.0.1", entry]
            await #expect("\(entry)") { try await TrackerServer(configuration: bad).start() } throws: {
                ($0 as? TrackerError)?.code == .invalidConfiguration && ($0 as? TrackerError)?.message.contains(entry) == true
            }
        }
    }

    /// A port already taken: the error names the protocol, the address and the reason.
    @Test func bindFailuresNameWhatCouldNotListen() async throws {
        try await withTracker { server, _ in
            let port = Int(server.httpAddress!.split(separator: ":").last!)!
            let second = TrackerServer(configuration: .init(http: ("127.0.0.1", port), udp: nil, loopbackOnly: true, threads: 1))
            await #expect {
                try await second.start()
            } throws: {
                let error = $0 as? TrackerError
                return error?.code == .network && error?.message == "cannot listen for HTTP on 127.0.0.1:\(port): Address already in use"
            }
            // With several threads the sockets share their port (SO_REUSEPORT); a second tracker
            // must still be refused, not given half of the first one's announces.
            let udpPort = Int(server.udpAddress!.split(separator: ":").last!)!
            for (what, http, udp) in [("HTTP", ("127.0.0.1", port), nil), ("UDP", nil, ("127.0.0.1", udpPort))] {
                let third = TrackerServer(configuration: .init(http: http, udp: udp, loopbackOnly: true, threads: 2))
                await #expect {
                    try await third.start()
                } throws: {
                    let error = $0 as? TrackerError
                    return error?.message == "cannot listen for \(what) on 127.0.0.1:\(http?.1 ?? udpPort): Address already in use"
                }
            }
        }
    }

    @Test func paymentTermsTravelOverHTTP() async throws {
        try await withTracker { server, client in
            let url = "http://\(server.httpAddress!)/announce"
            var seller = request(port: 2001, left: 0)
            seller.terms = try PaymentTerms(payee: [2] + Array(repeating: 0x11, count: 32), priceMillisatoshisPerMiB: 800,
                                            currencies: ["BSV", "NERD"], uploadRate: 5_000_000, uptime: 60)
            _ = try await client.announce(url, seller)
            var buyer = request(port: 2002)
            buyer.wantsTerms = true
            let reply = try await client.announce(url, buyer)
            #expect(reply.terms[TrackerPeer(ip: [127, 0, 0, 1], port: 2001)] == seller.terms)
            buyer.wantsTerms = false
            #expect(try await client.announce(url, buyer).terms.isEmpty, "a standard client sees no nerd key")
        }
    }

    @Test func hostileHTTPGetsFailureReasonsAndTheServerKeepsServing() async throws {
        try await withTracker { server, client in
            let base = "http://\(server.httpAddress!)"
            let cases = [
                "/announce", "/announce?info_hash=%zz", "/announce?info_hash=abc&peer_id=x&port=1",
                "/announce?" + String(repeating: "a=b&", count: 3000), "/scrape", "/scrape?info_hash=short",
            ]
            for path in cases {
                let (status, body) = try await Self.rawGet(base + path)
                #expect(status == 200, "\(path.prefix(40))")
                #expect(body.hasPrefix("d14:failure reason"), "\(path.prefix(40)): \(body.prefix(80))")
            }
            #expect(try await Self.rawGet(base + "/nowhere").0 == 404)
            // Not HTTP at all: a 400, and the connection is closed.
            let garbage = try await Self.raw(server.httpAddress!, "\u{01}\u{02}GARBAGE \r\n\r\n")
            #expect(garbage.hasPrefix("HTTP/1.1 400"), "\(garbage.prefix(40))")
            let metrics = try await Self.rawGet(base + "/metrics").1
            #expect(metrics.contains("nerd_tracker_bad_requests_total"))
            #expect(try await client.announce(base + "/announce", request(port: 3001)).interval == 120)
        }
    }

    /// A keep-alive client that pipelines announces and never reads: the server stops reading
    /// from it once its answers back up (so its buffers stay bounded) and serves others.
    @Test func nonReadingClientIsThrottled() async throws {
        try await withTracker { server, client in
            let address = server.httpAddress!
            let colon = address.lastIndex(of: ":")!
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.autoRead, value: false)
                .connect(host: String(address[..<colon]), port: Int(address[address.index(after: colon)...])!).get()
            // /metrics answers are several KiB each: 20,000 pipelined requests (about 20 MB)
            // would make the server hold around 100 MB of answers if it kept reading.
            let padding = String(repeating: "x", count: 1000)
            var batch = ByteBuffer()
            for _ in 0..<100 { batch.writeString("GET /metrics?\(padding) HTTP/1.1\r\nHost: x\r\n\r\n") }
            for _ in 0..<200 { channel.write(batch, promise: nil) }
            channel.flush()
            try await Task.sleep(for: .seconds(4))
            let backedUp = try await channel.eventLoop.submit { !channel.isWritable }.get()
            #expect(backedUp, "the server kept reading from a client that does not read")
            #expect(try await client.announce("http://\(address)/announce", request(port: 4001)).interval == 120)
            try await channel.close()
        }
    }

    /// A connection that stops half-way through a request is closed after the idle timeout,
    /// on each event loop. One that never sends a byte is not even handed to the server
    /// (TCP_DEFER_ACCEPT) until the kernel gives up waiting, a few seconds, and is then closed
    /// like the others: no descriptor is held for long either way.
    @Test func silentHTTPConnectionsAreClosed() async throws {
        var configuration = TrackerServer.Configuration(http: ("127.0.0.1", 0), udp: nil, loopbackOnly: true, threads: 2)
        configuration.httpIdleTimeout = .seconds(1)
        try await withTracker(configuration) { server, _ in
            let address = server.httpAddress!
            let colon = address.lastIndex(of: ":")!
            let host = String(address[..<colon])
            let port = Int(address[address.index(after: colon)...])!
            func connect() async throws -> Channel {
                try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: port).get()
            }
            let silent = try await connect()
            var stalled: [Channel] = []
            for _ in 0..<4 {
                let channel = try await connect()
                try await channel.writeAndFlush(ByteBuffer(string: "GET /announce?info_ha"))
                stalled.append(channel)
            }
            /// Whether `channel` closes within `seconds` (a broken sweeper fails, not hangs).
            func closes(_ channel: Channel, within seconds: Int) async throws -> Bool {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask { try await channel.closeFuture.get(); return true }
                    group.addTask { try await Task.sleep(for: .seconds(seconds)); return false }
                    defer { group.cancelAll() }
                    return try await group.next()!
                }
            }
            let started = ContinuousClock.now
            for channel in stalled { #expect(try await closes(channel, within: 4)) }
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(900) && waited < .seconds(4), "closed after \(waited)")
            #expect(try await closes(silent, within: 20), "a connection that never spoke is still open after 20 s")
            // The server still answers.
            let (status, _) = try await Self.rawGet("http://\(address)/scrape")
            #expect(status == 200)
        }
    }

    @Test func hostileUDPIsDroppedOrRefusedAndTheServerKeepsServing() async throws {
        try await withTracker { server, client in
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: Int(server.udpAddress!.split(separator: ":").last!)!)
            let probe = try await UDPProbe(target: address)
            defer { probe.close() }
            // Garbage, truncated and oversized packets: no reply at all.
            for packet in [[UInt8](), [1, 2, 3], [UInt8](repeating: 0xFF, count: 16), [UInt8](repeating: 0, count: 40),
                           [UInt8](repeating: 7, count: 3000)] {
                #expect(try await probe.exchange(packet) == nil)
            }
            // An announce with a forged connection ID: one small error packet.
            var forged = ByteBuffer()
            UDPTrackerMessage.announceRequest(connectionID: 0xDEAD_BEEF, transactionID: 42, request: request(port: 4001)).write(to: &forged)
            let reply = try await probe.exchange(Array(forged.readableBytesView))
            #expect(reply.flatMap { UDPTrackerMessage.parseResponse(ByteBuffer(bytes: $0), addressLength: 4) }
                == .error(transactionID: 42, message: "bad connection ID"))
            #expect(reply.map(\.count) ?? 0 <= forged.readableBytes)
            #expect(try await client.announce("udp://\(server.udpAddress!)", request(port: 4002)).interval == 120)
            #expect(server.registry.statistics().peers == 1, "the forged announce stored nothing")
        }
    }

    @Test func trackerRefusesOffLoopbackAddressesUnderTheGuard() async throws {
        let server = TrackerServer(configuration: .init(http: ("0.0.0.0", 0), udp: nil, loopbackOnly: true))
        await #expect { try await server.start() } throws: { ($0 as? TrackerError)?.code == .loopbackGuard }
        await server.shutdown()
        let client = TrackerClient(configuration: .init(loopbackOnly: true))
        await #expect { _ = try await client.announce("http://10.1.2.3/announce", request(port: 1)) } throws: {
            ($0 as? TrackerError)?.code == .loopbackGuard
        }
        await client.shutdown()
    }

    /// A tracker nobody listens on is a `.network` error with the system's reason (a debug
    /// build used to stop the process here, on the reply promise left uncompleted).
    @Test func refusedHTTPConnectionIsANetworkError() async throws {
        let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(closed.localAddress?.port)
        try await closed.close()
        let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(5)))
        for _ in 0..<3 {
            await #expect { _ = try await client.announce("http://127.0.0.1:\(port)/announce", request(port: 1)) } throws: {
                ($0 as? TrackerError)?.code == .network
                    && ($0 as? TrackerError)?.message == "cannot connect to http://127.0.0.1:\(port)/announce: Connection refused"
            }
        }
        await client.shutdown()
    }

    /// Shutting the client down while a UDP announce waits ends the announce with an error
    /// (the request's timer no longer runs; a debug build used to stop on its promise).
    @Test func shutdownEndsAWaitingUDPAnnounce() async throws {
        let probe = try await UDPProbe(target: try SocketAddress(ipAddress: "127.0.0.1", port: 9))
        defer { probe.close() }
        let client = TrackerClient(configuration: .init(loopbackOnly: true, udpBaseTimeout: .seconds(30), udpMaxRetries: 0))
        let request = request(port: 1)
        let announce = Task { try await client.announce("udp://127.0.0.1:\(probe.port)", request) }
        for _ in 0..<500 where probe.received() == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let started = ContinuousClock.now
        await client.shutdown()
        await #expect(throws: TrackerError.self) { try await announce.value }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func udpClientRetransmitsThenTimesOut() async throws {
        // A bound socket that never answers.
        let probe = try await UDPProbe(target: try SocketAddress(ipAddress: "127.0.0.1", port: 9))
        defer { probe.close() }
        let client = TrackerClient(configuration: .init(loopbackOnly: true, udpBaseTimeout: .milliseconds(100), udpMaxRetries: 2))
        let started = ContinuousClock.now
        await #expect { _ = try await client.announce("udp://127.0.0.1:\(probe.port)", request(port: 1)) } throws: {
            ($0 as? TrackerError)?.code == .timeout
        }
        let elapsed = ContinuousClock.now - started
        #expect(elapsed >= .milliseconds(650), "100 + 200 + 400 ms of BEP 15 back-off")
        #expect(probe.received() == 3)
        await client.shutdown()
    }

    // MARK: Helpers

    static func rawGet(_ url: String) async throws -> (Int, String) {
        let parsed = try TrackerURL(url)
        let text = try await raw("\(parsed.host):\(parsed.port)",
                                 "GET \(parsed.pathAndQuery) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        return (status, body)
    }

    /// Sends `request` as is and reads until the server closes.
    static func raw(_ hostPort: String, _ request: String) async throws -> String {
        let colon = hostPort.lastIndex(of: ":")!
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: String(hostPort[..<colon]), port: Int(hostPort[hostPort.index(after: colon)...])!) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            var text = ""
            for try await chunk in inbound { text += String(buffer: chunk) }
            return text
        }
    }
}

/// A raw UDP socket for sending hostile packets and counting what arrives.
final class UDPProbe: @unchecked Sendable {
    let channel: Channel
    let target: SocketAddress
    private let inbox = NIOLockedBox()

    init(target: SocketAddress) async throws {
        self.target = target
        let inbox = inbox
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var port: Int { channel.localAddress?.port ?? 0 }

    func received() -> Int { inbox.count() }

    /// Sends a packet; returns the first reply within half a second.
    func exchange(_ bytes: [UInt8]) async throws -> [UInt8]? {
        inbox.clear()
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: bytes)))
        for _ in 0..<25 {
            if let first = inbox.first() { return first }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    func close() { channel.close(promise: nil) }

    final class NIOLockedBox: @unchecked Sendable {
        private let lock = NSLock()
        private var packets: [[UInt8]] = []
        func add(_ p: [UInt8]) { lock.withLock { packets.append(p) } }
        func first() -> [UInt8]? { lock.withLock { packets.first } }
        func count() -> Int { lock.withLock { packets.count } }
        func clear() { lock.withLock { packets = [] } }
    }

    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let inbox: NIOLockedBox
        init(inbox: NIOLockedBox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            inbox.add(Array(unwrapInboundIn(data).data.readableBytesView))
        }
    }
}
