import Logging
import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A BitTorrent tracker: HTTP (BEP 3, 7, 23, 48) and UDP (BEP 15) front ends over one
/// in-memory ``SwarmRegistry``, with Prometheus metrics at `/metrics` on the HTTP port.
///
/// ```swift
/// let tracker = TrackerServer(configuration: .init(http: ("127.0.0.1", 6969), udp: ("127.0.0.1", 6969)))
/// try await tracker.start()
/// print(tracker.httpAddress!, tracker.udpAddress!)
/// await tracker.shutdown()
/// ```
public final class TrackerServer: Sendable {
    public struct Configuration: Sendable {
        /// HTTP listen address; `nil` serves no HTTP. Port 0 picks one.
        public var http: (host: String, port: Int)?
        /// UDP listen address; `nil` serves no UDP.
        public var udp: (host: String, port: Int)?
        /// Seconds between a client's announces (1 to ``TrackerServer/maxInterval``), and the
        /// least it may wait (at most `interval`).
        public var interval: Int
        public var minInterval: Int
        /// Seconds without an announce before a peer is dropped.
        public var peerTimeout: Int
        public var limits: SwarmRegistry.Limits
        /// If given, only these 20-byte info-hashes are tracked. Replace it while serving with
        /// ``SwarmRegistry/replaceAllowList(_:)`` on ``TrackerServer/registry``.
        public var allowList: [[UInt8]]?
        /// Refuse to bind anything but a loopback address (tests, CI; `NERD_LOOPBACK_ONLY=1` also sets it).
        public var loopbackOnly: Bool
        /// How often expired peers are swept and totals logged (at least every quarter of
        /// `peerTimeout`).
        public var sweepInterval: TimeAmount
        /// Event loop threads (one HTTP listener and one UDP socket per thread, sharing the ports);
        /// default ``TrackerServer/defaultThreads``.
        public var threads: Int
        /// An HTTP connection that sends nothing for this long is closed (within a quarter more),
        /// so silent clients cannot hold descriptors.
        public var httpIdleTimeout: TimeAmount = .seconds(30)
        /// Reverse proxies in front of the HTTP port (nginx adding TLS, say): IP addresses or
        /// CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`).
        /// An announce arriving from one of them is taken to come from the client its
        /// `X-Forwarded-For` header names (the last address there that is not a trusted proxy);
        /// one without a usable header is refused. From any other address the header is ignored,
        /// so a client cannot choose the address other peers are given.
        public var trustedProxies: [String] = []

        public init(http: (host: String, port: Int)? = ("0.0.0.0", 6969), udp: (host: String, port: Int)? = ("0.0.0.0", 6969),
                    interval: Int = 1800, minInterval: Int? = nil, peerTimeout: Int? = nil,
                    limits: SwarmRegistry.Limits = .init(), allowList: [[UInt8]]? = nil, loopbackOnly: Bool = false,
                    sweepInterval: TimeAmount = .seconds(60), threads: Int = TrackerServer.defaultThreads) {
            self.http = http
            self.udp = udp
            self.interval = min(max(1, interval), TrackerServer.maxInterval)
            self.minInterval = min(max(0, minInterval ?? min(self.interval, 300)), self.interval)
            self.peerTimeout = peerTimeout ?? max(self.interval * 3 / 2, self.interval + 5)
            self.limits = limits
            self.allowList = allowList
            self.loopbackOnly = loopbackOnly || LoopbackGuardSetting.fromEnvironment
            self.sweepInterval = sweepInterval
            self.threads = max(1, threads)
        }
    }

    /// The longest announce interval given out, in seconds (two hours, as long as clients
    /// such as NERD's own wait; peers are kept at most four hours between announces).
    public static let maxInterval = 7200

    /// What the front ends share.
    final class Core: Sendable {
        let registry: SwarmRegistry
        let connectionIDs = ConnectionIDs()
        let metrics = TrackerMetrics()
        let interval: Int
        let minInterval: Int
        let logger: Logger
        /// Whose `X-Forwarded-For` is believed.
        let trustedProxies: TrustedProxies
        /// Why `configuration.trustedProxies` cannot be used; `start()` reports it.
        let trustedProxiesError: TrackerError?

        init(configuration: Configuration, logger: Logger) {
            switch TrustedProxies.parse(configuration.trustedProxies) {
            case .success(let proxies): (trustedProxies, trustedProxiesError) = (proxies, nil)
            case .failure(let error): (trustedProxies, trustedProxiesError) = (TrustedProxies(), error)
            }
            registry = SwarmRegistry(limits: configuration.limits, peerTimeout: configuration.peerTimeout,
                                     allowList: configuration.allowList)
            interval = min(max(1, configuration.interval), TrackerServer.maxInterval)
            minInterval = min(max(0, configuration.minInterval), interval)
            self.logger = logger
        }
    }

    /// Half the cores (at least one): the kernel's network work needs the rest, and measured
    /// on 2 cores one loop served more announces than two.
    public static var defaultThreads: Int { max(1, System.coreCount / 2) }

    public let configuration: Configuration
    let core: Core
    private let group: MultiThreadedEventLoopGroup
    private let state = NIOLockedValueBox<(channels: [Channel], http: SocketAddress?, udp: SocketAddress?, sweep: RepeatedTask?,
                                           sweepers: [IdleConnectionSweeper])>(([], nil, nil, nil, []))

    public init(configuration: Configuration, logger: Logger = Logger(label: "nerd.tracker")) {
        self.configuration = configuration
        core = Core(configuration: configuration, logger: logger)
        group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.threads)
    }

    /// The swarms this server tracks (for embedding programs and tests).
    public var registry: SwarmRegistry { core.registry }

    /// `HOST:PORT` the HTTP front end is bound to, once started.
    public var httpAddress: String? { state.withLockedValue { $0.http }.map(Self.text) }
    /// `HOST:PORT` the UDP front end is bound to, once started.
    public var udpAddress: String? { state.withLockedValue { $0.udp }.map(Self.text) }

    /// Binds the sockets and starts the periodic sweep.
    /// - Throws: ``TrackerError`` `.loopbackGuard`, `.network` (address in use, bad host), or
    ///   `.invalidConfiguration` (a trusted proxy that is not an IP address or CIDR range).
    public func start() async throws(TrackerError) {
        do throws(TrackerError) {
            for address in [configuration.http, configuration.udp].compactMap({ $0 }) {
                try checkGuard(host: address.host)
            }
            if let error = core.trustedProxiesError { throw error }
        } catch {
            await shutdown()  // the event loop threads started in `init`
            throw error
        }
        do {
            if let http = configuration.http {
                // One listener per event loop sharing the port with SO_REUSEPORT, each keeping
                // the connections it accepts: the kernel spreads connections over the loops, and
                // no connection is handed from one thread to another (which cost more than the
                // second thread gained). The port is checked first, as for UDP below.
                var port = http.port
                let shared = configuration.threads > 1
                if shared {
                    // SO_REUSEADDR as the listeners have: a restart must not trip over the
                    // last run's TIME_WAIT sockets, while a live listener still conflicts.
                    let probe = try await Self.listening("HTTP", http) {
                        try await ServerBootstrap(group: group).serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                            .bind(host: http.host, port: port).get()
                    }
                    port = probe.localAddress?.port ?? 0
                    try await probe.close()
                }
                for loop in group.makeIterator() {
                    let sweeper = IdleConnectionSweeper(eventLoop: loop, timeout: configuration.httpIdleTimeout)
                    state.withLockedValue { $0.sweepers.append(sweeper) }
                    let bootstrap = httpBootstrap(on: loop, sweeper: sweeper, reusePort: shared)
                    let channel = try await Self.listening("HTTP", (http.host, port)) { try await bootstrap.bind(host: http.host, port: port).get() }
                    port = channel.localAddress?.port ?? port
                    state.withLockedValue {
                        $0.channels.append(channel)
                        if $0.http == nil { $0.http = channel.localAddress }
                    }
                }
            }
            if let udp = configuration.udp {
                // One socket per event loop sharing the port with SO_REUSEPORT. The port is
                // first bound by a plain socket, which settles port 0 (Linux may hand the same
                // ephemeral port to two sockets that both allow reuse, and one would then never
                // see its packets) and fails if anything holds the port: another program's
                // sockets that allow reuse would otherwise quietly share it.
                var port = udp.port
                let shared = configuration.threads > 1
                if shared {
                    let probe = try await Self.listening("UDP", udp) { try await DatagramBootstrap(group: group).bind(host: udp.host, port: port).get() }
                    port = probe.localAddress?.port ?? 0
                    try await probe.close()
                }
                for loop in group.makeIterator() {
                    let bootstrap = DatagramBootstrap(group: loop)
                        .channelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)),
                                       value: shared ? 1 : 0)
                        .channelOption(.datagramVectorReadMessageCount, value: 32)
                        .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * UDPTrackerMessage.maxPacketSize))
                        .channelInitializer { [core] channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(UDPTrackerHandler(server: core))
                            }
                        }
                    let channel = try await Self.listening("UDP", (udp.host, port)) { try await bootstrap.bind(host: udp.host, port: port).get() }
                    port = channel.localAddress?.port ?? port
                    state.withLockedValue {
                        $0.channels.append(channel)
                        if $0.udp == nil { $0.udp = channel.localAddress }
                    }
                }
            }
        } catch let error as TrackerError {
            await shutdown()
            throw error
        } catch {
            await shutdown()
            throw TrackerError(.network, "cannot listen: \(error)")
        }
        // Peers past their timeout are still handed out until the next sweep: with short
        // intervals, sweep often enough that this stays within a quarter of the timeout.
        let sweepInterval = min(configuration.sweepInterval, .seconds(Int64(max(1, core.registry.peerTimeout / 4))))
        let sweep = group.next().scheduleRepeatedTask(initialDelay: sweepInterval, delay: sweepInterval) {
            [core] _ in
            let totals = core.registry.expire()
            core.metrics.record(totals)
            core.logger.info("tracker stats", metadata: [
                "torrents": "\(totals.torrents)", "peers": "\(totals.peers)", "seeders": "\(totals.seeders)",
            ])
        }
        state.withLockedValue { $0.sweep = sweep }
        core.metrics.record(core.registry.statistics())
    }

    /// Closes the sockets and stops the threads.
    public func shutdown() async {
        let (channels, sweep, sweepers) = state.withLockedValue { state in
            defer { state.channels = []; state.sweep = nil; state.sweepers = [] }
            return (state.channels, state.sweep, state.sweepers)
        }
        sweep?.cancel()
        for sweeper in sweepers { sweeper.eventLoop.execute { sweeper.stop() } }
        for channel in channels { try? await channel.close().get() }
        try? await group.shutdownGracefully()
    }

    /// Runs one bind, naming the protocol, the address and the system's reason if it fails.
    /// The HTTP listener for one event loop; its connections stay on that loop.
    private func httpBootstrap(on loop: EventLoop, sweeper: IdleConnectionSweeper, reusePort: Bool) -> ServerBootstrap {
        var bootstrap = ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: .init(rawValue: SO_REUSEPORT)),
                                 value: reusePort ? 1 : 0)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.maxMessagesPerRead, value: 16)
            // Out of descriptors (a flood of connections, a low ulimit), accepting pauses
            // instead of spinning on the failing accept; connections already open are
            // served and closed meanwhile.
            .serverChannelInitializer { [core] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = AcceptPauseHandler(onPause: { _ in core.metrics.acceptPauses.increment() }, report: { error, pauses in
                        core.logger.warning("out of descriptors or memory: HTTP accepts paused 1 s at a time", metadata: [
                            "reason": "\(socketErrorText(error))", "pauses": "\(pauses)",
                        ])
                    })
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            // No child options: accepted sockets inherit TCP_NODELAY from the listener
            // (NIO sets it there), and each child option costs a system call and a
            // future per connection.
            .childChannelInitializer { [core] channel in
                channel.eventLoop.makeCompletedFuture {
                    // Just NIOHTTP1's request decoder: announces are answered at once and in
                    // order, so the pipelining and error helpers only add cost, and the
                    // handler writes its short answers itself.
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try sync.addHandler(HTTPTrackerHandler(server: core, sweeper: sweeper))
                }
            }
        #if os(Linux)
        // Connections are usually handed over with their request already there: one
        // wake-up less per announce. A client that says nothing is held by the kernel
        // for a few seconds, then handed over and closed by the idle sweep.
        bootstrap = bootstrap.serverChannelOption(
            ChannelOptions.Types.SocketOption(level: .tcp, name: .init(rawValue: TCP_DEFER_ACCEPT)), value: 5)
        #endif
        return bootstrap
    }

    private static func listening<T>(_ what: String, _ address: (host: String, port: Int),
                                     _ bind: () async throws -> T) async throws(TrackerError) -> T {
        do {
            return try await bind()
        } catch {
            let reason = socketErrorText(error)
            let host = address.host.contains(":") ? "[\(address.host)]" : address.host
            throw TrackerError(.network, "cannot listen for \(what) on \(host):\(address.port): \(reason)")
        }
    }

    private func checkGuard(host: String) throws(TrackerError) {
        guard configuration.loopbackOnly else { return }
        guard let ip = IPAddressText.parse(host), ip.count == 4 ? ip[0] == 127 : ip == [UInt8](repeating: 0, count: 15) + [1] else {
            throw TrackerError(.loopbackGuard, "\(host) is not a loopback address and the loopback-only guard is on")
        }
    }

    private static func text(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "?"
        let port = address.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
