import Foundation
import Logging
import NERDCrypto
import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A mainline DHT node (BEP 5) on one UDP socket: answers `ping`, `find_node`, `get_peers`,
/// `announce_peer` and `sample_infohashes` (BEP 51), and runs iterative lookups.
///
/// All state lives on one event loop. Every outgoing datagram passes the loopback-only guard
/// when it is on (tests, CI), so the node cannot reach the public DHT by accident.
///
/// ```swift
/// let node = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), bootstrap: [DHTAddress("127.0.0.1:6881")!]))
/// try await node.start()
/// await node.bootstrap()
/// let found = await node.getPeers(infoHash)
/// ```
public final class DHTNode: @unchecked Sendable {
    public struct Configuration: Sendable {
        /// UDP address to bind (port 0 picks one).
        public var listen: (host: String, port: Int)
        /// Nodes to join through when the table is empty.
        public var bootstrap: [DHTAddress]
        /// Our ID; `nil` keeps the one in `stateFile`, else makes a random one.
        public var nodeID: NodeID?
        /// Where the routing table is kept between runs; `nil` keeps nothing.
        public var stateFile: String?
        public var loopbackOnly: Bool
        /// How long a query waits for its reply.
        public var queryTimeout: TimeAmount
        /// Queries answered per second per source IP; more are dropped.
        public var maxQueriesPerSecondPerIP: Int
        /// BEP 43: our queries carry `ro=1`, so other nodes do not put this node in their
        /// routing tables (a one-shot lookup that is gone a second later, say).
        public var readOnly = false

        public init(listen: (host: String, port: Int) = ("0.0.0.0", 6881), bootstrap: [DHTAddress] = [], nodeID: NodeID? = nil,
                    stateFile: String? = nil, loopbackOnly: Bool = false, queryTimeout: TimeAmount = .seconds(2),
                    maxQueriesPerSecondPerIP: Int = 250) {
            self.listen = listen
            self.bootstrap = bootstrap
            self.nodeID = nodeID
            self.stateFile = stateFile
            self.loopbackOnly = loopbackOnly || LoopbackGuardSetting.fromEnvironment
            self.queryTimeout = queryTimeout
            self.maxQueriesPerSecondPerIP = maxQueriesPerSecondPerIP
        }
    }

    /// What one `get_peers` lookup found.
    public struct LookupResult: Sendable {
        public var peers: [DHTAddress]
        public var nodesQueried: Int
        /// Hops to the closest node that answered (see ``FindResult/hops``).
        public var hops: Int = 0
        /// NERD terms (bencoded dictionaries) given for some peers.
        public var terms: [DHTAddress: [UInt8]]
    }

    public struct Statistics: Sendable {
        public var nodes: Int
        /// Nodes in the table whose IDs break BEP 42 for their address.
        public var nonCompliantNodes: Int = 0
        public var buckets: Int
        public var infoHashes: Int
        public var queriesAnswered: Int
    }

    public let configuration: Configuration
    /// Our node ID. It changes once if replies show an external address our ID breaks
    /// BEP 42 for (see ``received(_:from:)``).
    public var id: NodeID { idBox.withLockedValue { $0 } }
    private let idBox: NIOLockedValueBox<NodeID>
    /// External addresses other nodes report seeing us at (`ip`, BEP 42), with who said so.
    private var externalVotes: [[UInt8]: Set<[UInt8]>] = [:]
    /// Distinct nodes that must agree on our external address before we take an ID for it.
    static let votesForExternalAddress = 3
    /// Queries in flight at most; more fail at once.
    static let maxPendingQueries = 2048
    /// Source addresses tracked by the rate limiter at most; new ones past it are refused.
    static let maxRateEntries = 10_000
    let logger: Logger
    /// Set when the node made its own thread (no group was given), to stop it on shutdown.
    private let ownGroup: MultiThreadedEventLoopGroup?
    let loop: EventLoop
    private var channel: Channel?
    private var table: RoutingTable
    private var tokens = TokenIssuer()
    private var store = PeerStore()
    private var pending: [UInt16: (address: DHTAddress, promise: EventLoopPromise<KRPCArguments>)] = [:]
    private var rate: [[UInt8]: (second: Int64, count: Int)] = [:]
    private var queriesAnswered = 0
    private var rateSweptAt: Int64 = -1
    private var maintenance: RepeatedTask?
    private let boundAddress = NIOLockedValueBox<DHTAddress?>(nil)
    static let version: [UInt8] = Array("NE01".utf8)
    /// The state file this node reads and writes: the configured one, unless another process
    /// holds it.
    private let stateFile: String?
    /// The state file's lock (released at shutdown), if taken.
    private let stateLock: FileLock?

    /// - Parameter group: event loops to share (many nodes in one process); `nil` makes one thread.
    public init(configuration: Configuration, group: EventLoopGroup? = nil, logger: Logger = Logger(label: "nerd.dht")) {
        self.configuration = configuration
        self.logger = logger
        // One process per state file: two nodes sharing an ID (a seed and a get on one host,
        // both with the default state folder) would each be taken for the other.
        var lock: FileLock?
        var stateFile = configuration.stateFile
        if let path = stateFile {
            switch FileLock.take(path + ".lock") {
            case .locked(let taken):
                lock = taken
            case .heldElsewhere:
                stateFile = nil
                logger.notice("dht state in use by another process: this node takes a fresh ID and keeps no state",
                              metadata: ["path": "\(path)"])
            case .unavailable:
                break
            }
        }
        self.stateFile = stateFile
        stateLock = lock
        let saved = stateFile.flatMap(DHTState.load)
        // BEP 42: bound to a specific public address, make an ID valid for it (a saved ID is
        // kept only if it is). Behind 0.0.0.0 the external address is not known here.
        let publicIP = DHTAddress("\(configuration.listen.host):0").map(\.ip).flatMap { ip in
            NodeID.isExempt(ip) || ip.allSatisfy({ $0 == 0 }) ? nil : ip
        }
        let chosen: NodeID
        if let given = configuration.nodeID {
            chosen = given
        } else if let savedID = saved?.id, publicIP.map({ savedID.isSecure(for: $0) }) ?? true {
            chosen = savedID
        } else {
            chosen = publicIP.map { NodeID.secure(for: $0) } ?? NodeID.random()
        }
        idBox = NIOLockedValueBox(chosen)
        table = RoutingTable(ownID: chosen)
        ownGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        loop = (group ?? ownGroup!).next()
        for node in saved?.nodes ?? [] { table.heard(from: node, responded: false) }
    }

    /// The bound UDP address, once started.
    public var listenAddress: DHTAddress? { boundAddress.withLockedValue { $0 } }

    /// Binds the socket and starts table maintenance.
    /// - Throws: ``DHTError`` `.loopbackGuard`, `.network`, or `.invalidState` when the state
    ///   file holds something other than a DHT state (another file given by mistake: it is
    ///   never overwritten).
    public func start() async throws(DHTError) {
        if let path = stateFile, FileManager.default.fileExists(atPath: path), DHTState.load(path) == nil {
            throw DHTError(.invalidState, "\(path) is not a DHT state file; it is left as it is (give another --state path)")
        }
        if configuration.loopbackOnly, let address = DHTAddress("\(configuration.listen.host):0"), !address.isLoopback {
            throw DHTError(.loopbackGuard, "\(configuration.listen.host) is not loopback and the loopback-only guard is on")
        }
        do {
            // No SO_REUSEADDR: on Linux, two UDP sockets that both set it may be given the same
            // ephemeral port, and one of them then never sees its replies.
            let channel = try await bind(host: configuration.listen.host, port: configuration.listen.port).get()
            boundAddress.withLockedValue { $0 = channel.localAddress.flatMap(DHTAddress.init) }
            try await loop.submit {
                self.channel = channel
                self.maintenance = self.loop.scheduleRepeatedTask(initialDelay: .seconds(60), delay: .seconds(60)) { _ in
                    self.maintain()
                }
            }.get()
        } catch {
            throw DHTError(.network, "cannot bind \(configuration.listen.host):\(configuration.listen.port): \(socketErrorText(error))")
        }
        logger.info("dht listening", metadata: ["address": "\(listenAddress?.description ?? "?")", "id": "\(id.hex)"])
        // Saved once now, so a path that cannot be written shows at the start, not never.
        let saveFailure = (try? await loop.submit { self.saveState() }.get()) ?? nil
        if let path = stateFile, let reason = saveFailure {
            logger.warning("dht state cannot be saved", metadata: ["path": "\(path)", "reason": "\(reason)"])
        }
    }

    private func bind(host: String, port: Int) -> EventLoopFuture<Channel> {
        DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: KRPCMessage.maxSize))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(KRPCHandler(node: self)) }
            }
            .bind(host: host, port: port)
    }

    /// Most attempts to bind again after the socket closed on its own.
    static let maxRebinds = 10

    /// The socket closed without ``shutdown()``: SwiftNIO closes a datagram socket on a send
    /// error it cannot recover from (EPERM from a firewall rule, ENETUNREACH). The node binds
    /// the same address again, a second later and then every 5 s, at most ``maxRebinds`` times,
    /// so it keeps serving instead of going silent.
    func socketClosed(_ closed: Channel) {
        loop.execute {
            guard self.channel === closed, let address = self.boundAddress.withLockedValue({ $0 }) else { return }
            self.channel = nil
            self.logger.error("dht socket closed unexpectedly; binding it again", metadata: ["address": "\(address)"])
            self.rebind(address, attempt: 1)
        }
    }

    /// Closes the socket as a failed send would (tests of the recovery above).
    func closeSocketAsIfItFailed() -> EventLoopFuture<Void> {
        loop.flatSubmit { self.channel?.close() ?? self.loop.makeSucceededVoidFuture() }
    }

    private func rebind(_ address: DHTAddress, attempt: Int) {
        loop.scheduleTask(in: attempt == 1 ? .seconds(1) : .seconds(5)) {
            // Shut down meanwhile: the bound address is gone.
            guard self.channel == nil, self.boundAddress.withLockedValue({ $0 }) == address else { return }
            self.bind(host: address.host, port: Int(address.port)).whenComplete { result in
                switch result {
                case .success(let channel):
                    guard self.channel == nil, self.boundAddress.withLockedValue({ $0 }) == address else {
                        channel.close(promise: nil)
                        return
                    }
                    self.channel = channel
                    self.logger.notice("dht socket bound again", metadata: ["address": "\(address)"])
                case .failure(let error):
                    self.logger.error("dht socket cannot be bound again", metadata: [
                        "address": "\(address)", "attempt": "\(attempt)", "reason": "\(socketErrorText(error))",
                    ])
                    if attempt < Self.maxRebinds { self.rebind(address, attempt: attempt + 1) }
                }
            }
        }
    }

    /// Joins the network: a lookup of our own ID through the table, or the bootstrap nodes.
    /// - Returns: nodes in the routing table afterwards.
    @discardableResult
    public func bootstrap() async -> Int {
        _ = try? await lookup(target: id, getPeers: false).get()
        return await statistics().nodes
    }

    /// What a `find_node` lookup converged on.
    public struct FindResult: Sendable {
        /// The closest nodes that answered, nearest first (at most 8).
        public var closest: [DHTNodeInfo]
        public var nodesQueried: Int
        /// Sequential steps to the closest answering node: 1 if our table already held it.
        public var hops: Int
    }

    /// An iterative `find_node` lookup for `target`.
    public func findClosest(to target: NodeID) async -> FindResult {
        guard let result = try? await lookup(target: target, getPeers: false).get() else {
            return FindResult(closest: [], nodesQueried: 0, hops: 0)
        }
        return FindResult(closest: result.closest.map(\.node), nodesQueried: result.nodesQueried, hops: result.hops)
    }

    /// Pings a node (learned from a peer's BEP 5 `port` message, say); if it answers, it
    /// joins the routing table.
    public func ping(_ address: DHTAddress) {
        _ = query("ping", KRPCArguments(id: id), to: address)
    }

    /// One `get_peers` lookup for an info-hash.
    public func getPeers(_ infoHash: NodeID) async -> LookupResult { await getPeers(infoHash, onPeer: nil) }

    func getPeers(_ infoHash: NodeID, onPeer: (@Sendable (DHTAddress) -> Void)?) async -> LookupResult {
        guard let result = try? await lookup(target: infoHash, getPeers: true, onPeer: onPeer).get() else {
            return LookupResult(peers: [], nodesQueried: 0, terms: [:])
        }
        var terms: [DHTAddress: [UInt8]] = [:]
        for (compact, value) in result.terms { if let address = DHTAddress(compact: compact) { terms[address] = value } }
        return LookupResult(peers: result.peers.compactMap(DHTAddress.init(compact:)), nodesQueried: result.nodesQueried,
                            hops: result.hops, terms: terms)
    }

    /// Looks up `infoHash` and announces us as a peer on `port` to the closest nodes that
    /// gave a token (BEP 5 `announce_peer`; `port` 0 sets `implied_port`).
    /// - Parameter terms: NERD extension: a bencoded dictionary of payment terms.
    /// - Returns: the lookup's result and how many nodes accepted the announce.
    public func announce(_ infoHash: NodeID, port: UInt16, terms: BencodeValue? = nil) async -> (LookupResult, Int) {
        await announce(infoHash, port: port, terms: terms, onPeer: nil)
    }

    func announce(_ infoHash: NodeID, port: UInt16, terms: BencodeValue?, onPeer: (@Sendable (DHTAddress) -> Void)?) async -> (LookupResult, Int) {
        guard let result = try? await lookup(target: infoHash, getPeers: true, onPeer: onPeer).get() else {
            return (LookupResult(peers: [], nodesQueried: 0, terms: [:]), 0)
        }
        var accepted = 0
        for (node, token) in result.closest {
            guard let token else { continue }
            var arguments = KRPCArguments(id: id)
            arguments.infoHash = infoHash
            arguments.port = port
            arguments.impliedPort = port == 0
            arguments.token = token
            arguments.nerd = terms
            if (try? await query("announce_peer", arguments, to: node.address).get()) != nil { accepted += 1 }
        }
        let found = LookupResult(peers: result.peers.compactMap(DHTAddress.init(compact:)), nodesQueried: result.nodesQueried,
                                 terms: [:])
        return (found, accepted)
    }

    /// ``announce(_:port:terms:)`` by argument labels: announces `port` for `infoHash`.
    /// - Returns: how many nodes accepted the announce.
    @discardableResult
    public func announce(infoHash: NodeID, port: UInt16) async -> Int { await announce(infoHash, port: port).1 }

    /// Peers for an info-hash from repeated lookups (and announces of `announcePort`, if
    /// given), every `interval`, until the stream is dropped, the node shuts down, or
    /// `isWanted` (asked before each round) says the torrent is gone.
    public func peers(for infoHash: NodeID, announcePort: UInt16? = nil, interval: Duration = .seconds(300),
                      isWanted: @escaping @Sendable () async -> Bool = { true }) -> AsyncStream<DHTAddress> {
        AsyncStream { continuation in
            let task = Task {
                while !Task.isCancelled, self.isRunning, await isWanted() {
                    // Each peer is passed on as its reply arrives, not when the lookup ends.
                    let yield: @Sendable (DHTAddress) -> Void = { continuation.yield($0) }
                    if let announcePort {
                        _ = await self.announce(infoHash, port: announcePort, terms: nil, onPeer: yield)
                    } else {
                        _ = await self.getPeers(infoHash, onPeer: yield)
                    }
                    try? await Task.sleep(for: interval)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Refreshes every bucket: a `find_node` lookup of a random ID in each bucket's range, as
    /// maintenance does for buckets idle 15 minutes (BEP 5). Fills buckets whose part of the
    /// ID space the node has not heard from yet.
    public func refreshAllBuckets() async {
        let targets = (try? await loop.submit { self.table.buckets.indices.map { self.table.randomID(inBucket: $0) } }.get()) ?? []
        for target in targets { _ = try? await lookup(target: target, getPeers: false).get() }
    }

    /// The nodes in the routing table now.
    public func knownNodes() async -> [DHTNodeInfo] {
        (try? await loop.submit { self.table.allNodes }.get()) ?? []
    }

    public func statistics() async -> Statistics {
        (try? await loop.submit {
            Statistics(nodes: self.table.count, nonCompliantNodes: self.table.nonCompliantCount, buckets: self.table.buckets.count,
                       infoHashes: self.store.peers.count, queriesAnswered: self.queriesAnswered)
        }.get()) ?? Statistics(nodes: 0, buckets: 0, infoHashes: 0, queriesAnswered: 0)
    }

    /// Saves the routing table (if configured) and closes the socket.
    public func shutdown() async {
        let channel = try? await loop.submit { () -> Channel? in
            self.maintenance?.cancel()
            self.saveState()
            for entry in self.pending.values { entry.promise.fail(DHTError(.network, "shut down")) }
            self.pending = [:]
            defer { self.channel = nil }
            self.boundAddress.withLockedValue { $0 = nil }
            return self.channel
        }.get()
        if let channel = channel ?? nil { try? await channel.close().get() }
        stateLock?.release()
        // The node's own thread stops when the node goes away (deinit), not here: a lookup or
        // a status call still running must find a live loop, or its future never completes.
    }

    deinit {
        // A node dropped without shutdown (its start failed, say) releases the lock too.
        stateLock?.release()
        ownGroup?.shutdownGracefully(queue: .global()) { _ in }
    }

    private var isRunning: Bool { boundAddress.withLockedValue { $0 } != nil }

    // MARK: Queries out

    /// - Parameter onPeer: told of each peer as it is found (on the node's loop).
    func lookup(target: NodeID, getPeers: Bool, onPeer: (@Sendable (DHTAddress) -> Void)? = nil) -> EventLoopFuture<DHTLookup.Result> {
        loop.flatSubmit {
            let start = self.table.closest(to: target, count: RoutingTable.k * 2)
            let lookup = DHTLookup(target: target, getPeers: getPeers, start: start,
                                   bootstrap: start.count < RoutingTable.k ? self.configuration.bootstrap : [], loop: self.loop) {
                var arguments = KRPCArguments(id: self.id)
                if getPeers {
                    arguments.infoHash = target
                    arguments.nerd = .dictionary([])  // asks NERD nodes for payment terms
                } else {
                    arguments.target = target
                }
                return self.query(getPeers ? "get_peers" : "find_node", arguments, to: $0)
            }
            lookup.onPeer = onPeer
            return lookup.run()
        }
    }

    /// Sends a query and completes with the reply's arguments (after adding the replier to
    /// the table). Fails on timeout, a KRPC error, or the loopback guard.
    func query(_ method: String, _ arguments: KRPCArguments, to address: DHTAddress) -> EventLoopFuture<KRPCArguments> {
        // After shutdown the loop may be gone: a lookup still running must not schedule on it.
        guard isRunning else { return loop.makeFailedFuture(DHTError(.network, "not running")) }
        return loop.flatSubmit {
            guard let channel = self.channel else { return self.loop.makeFailedFuture(DHTError(.network, "not started")) }
            guard self.canSend(to: address) else {
                return self.loop.makeFailedFuture(DHTError(.network, "\(address) cannot be reached from this node's socket"))
            }
            guard !self.configuration.loopbackOnly || address.isLoopback else {
                self.logger.warning("refusing to contact a non-loopback DHT node", metadata: ["address": "\(address)"])
                return self.loop.makeFailedFuture(DHTError(.loopbackGuard, "\(address) is not loopback"))
            }
            // A bound on queries in flight (a peer's PORT messages each cause a ping).
            guard self.pending.count < Self.maxPendingQueries else {
                return self.loop.makeFailedFuture(DHTError(.network, "too many queries in flight"))
            }
            var free = UInt16.random(in: .min ... .max)
            while self.pending[free] != nil { free &+= 1 }
            let tid = free
            let promise = self.loop.makePromise(of: KRPCArguments.self)
            self.pending[tid] = (address, promise)
            let message = KRPCMessage(transactionID: [UInt8(tid >> 8), UInt8(tid & 0xFF)],
                                      body: .query(method: method, arguments: arguments), version: Self.version, readOnly: self.configuration.readOnly)
            self.send(message.bytes, to: address, channel: channel)
            let timeout = self.loop.scheduleTask(in: self.configuration.queryTimeout) {
                guard let entry = self.pending.removeValue(forKey: tid) else { return }
                if let node = self.table.allNodes.first(where: { $0.address == address }) { self.table.failed(node.id) }
                entry.promise.fail(DHTError(.timeout, "\(address) did not answer \(method)"))
            }
            promise.futureResult.whenComplete { _ in timeout.cancel() }
            return promise.futureResult
        }
    }

    /// A usable address of the socket's own family (an IPv4 socket cannot send to IPv6).
    private func canSend(to address: DHTAddress) -> Bool {
        guard address.isUsableDestination else { return false }
        guard let bound = boundAddress.withLockedValue({ $0 }) else { return true }
        return bound.ip.count == address.ip.count
    }

    private func send(_ bytes: [UInt8], to address: DHTAddress, channel: Channel) {
        guard canSend(to: address), let socketAddress = try? address.socketAddress() else { return }
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: socketAddress, data: ByteBuffer(bytes: bytes)), promise: nil)
    }

    // MARK: Datagrams in

    func received(_ bytes: [UInt8], from address: DHTAddress) {
        let message: KRPCMessage
        do { message = try KRPCMessage(bytes: bytes) } catch {
            // Answer what can be answered (a transaction ID was read), within the rate limit; drop the rest.
            if let tid = error.transactionID, allowQuery(from: address.ip) {
                reply(.init(transactionID: tid, body: .error(code: error.code, message: error.message)), to: address)
            }
            return
        }
        switch message.body {
        case .response(let values):
            guard message.transactionID.count == 2 else { return }
            let tid = UInt16(message.transactionID[0]) << 8 | UInt16(message.transactionID[1])
            // A reply counts only from the address the query went to.
            guard let entry = pending[tid], entry.address == address else {
                logger.debug("unmatched reply", metadata: ["to": "\(listenAddress?.description ?? "?")", "from": "\(address)", "tid": "\(tid)", "pending": "\(pending[tid]?.address.description ?? "none")"])
                return
            }
            pending[tid] = nil
            guard let replier = values.id else {
                entry.promise.fail(DHTError(.invalidReply, "reply without id"))
                return
            }
            if !message.readOnly { table.heard(from: DHTNodeInfo(id: replier, ip: address.ip, port: address.port), responded: true) }
            if let seen = message.yourAddress { vote(externalAddress: Array(seen.dropLast(2)), by: address.ip) }
            entry.promise.succeed(values)
        case .error(let code, let text):
            guard message.transactionID.count == 2 else { return }
            let tid = UInt16(message.transactionID[0]) << 8 | UInt16(message.transactionID[1])
            guard let entry = pending[tid], entry.address == address else { return }
            pending[tid] = nil
            logger.debug("error reply", metadata: ["from": "\(address)", "code": "\(code)", "message": "\(text)"])
            entry.promise.fail(DHTError(.remoteError, "\(code) \(text)"))
        case .query(let method, let arguments):
            guard allowQuery(from: address.ip) else { return }
            answer(method, arguments, transactionID: message.transactionID, from: address, readOnly: message.readOnly)
        }
    }

    /// BEP 42: once enough nodes agree on our external address and our ID is not valid for
    /// it, take a valid one and rebuild the table around it (known nodes are kept). Only done
    /// when no ID was configured.
    /// Votes count by the voter's IP, which it cannot choose as freely as its node ID.
    private func vote(externalAddress ip: [UInt8], by voter: [UInt8]) {
        guard configuration.nodeID == nil, ip.count == 4 || ip.count == 16, !NodeID.isExempt(ip),
              !ip.allSatisfy({ $0 == 0 }), !id.isSecure(for: ip)
        else { return }
        if externalVotes[ip] == nil, externalVotes.count >= 16 { externalVotes.removeAll() }
        externalVotes[ip, default: []].insert(voter)
        guard externalVotes[ip]!.count >= Self.votesForExternalAddress else { return }
        let fresh = NodeID.secure(for: ip)
        idBox.withLockedValue { $0 = fresh }
        var rebuilt = RoutingTable(ownID: fresh)
        for node in table.allNodes { rebuilt.heard(from: node, responded: false) }
        table = rebuilt
        externalVotes.removeAll()
        logger.info("dht node ID now follows BEP 42 for our external address", metadata: ["id": "\(fresh.hex)"])
        saveState()
    }

    private func allowQuery(from ip: [UInt8]) -> Bool {
        let second = Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000_000)
        if rate.count >= Self.maxRateEntries, rateSweptAt != second {
            // Prune at most once a second; past the cap, unknown sources wait for the next second.
            rate = rate.filter { $0.value.second == second }
            rateSweptAt = second
        }
        if rate[ip] == nil, rate.count >= Self.maxRateEntries { return false }
        var entry = rate[ip] ?? (second, 0)
        if entry.second != second { entry = (second, 0) }
        entry.count += 1
        rate[ip] = entry
        return entry.count <= configuration.maxQueriesPerSecondPerIP
    }

    private func answer(_ method: String, _ arguments: KRPCArguments, transactionID: [UInt8], from address: DHTAddress,
                        readOnly: Bool) {
        guard let sender = arguments.id else {
            reply(.init(transactionID: transactionID, body: .error(code: KRPCMessage.ErrorCode.protocol, message: "missing id")), to: address)
            return
        }
        let now = NIODeadline.now()
        var r = KRPCArguments(id: id)
        // BEP 32: `want` picks the families of nodes returned; without it, the requester's own.
        let wantV4 = arguments.want.map { $0.contains("n4") } ?? (address.ip.count == 4)
        let wantV6 = arguments.want.map { $0.contains("n6") } ?? (address.ip.count == 16)
        func fillNodes(_ target: NodeID) {
            // Only nodes that have answered us are handed out (a spoofed query adds nothing others see).
            if wantV4 { r.nodes = table.closest(to: target, addressLength: 4, answeredOnly: true) }
            if wantV6 { r.nodes6 = table.closest(to: target, addressLength: 16, answeredOnly: true) }
        }
        switch method {
        case "ping":
            break
        case "find_node":
            guard let target = arguments.target else { return protocolError("missing target", transactionID, address) }
            fillNodes(target)
        case "get_peers":
            guard let infoHash = arguments.infoHash else { return protocolError("missing info_hash", transactionID, address) }
            r.token = tokens.token(for: address.ip, now: now)
            let found = store.lookup(infoHash, limit: 50, now: now)
            r.values = found.map(\.compact)
            // Terms only for NERD nodes that ask (a `nerd` key in the query), and at most 1 KiB,
            // so a small spoofed query cannot draw a large reply.
            if arguments.nerd != nil {
                var budget = 1024
                var withTerms: [BencodeValue.Entry] = []
                for item in found {
                    guard let terms = item.terms, let size = try? BencodeEncoder.encode(terms).count, size <= budget else { continue }
                    budget -= size
                    withTerms.append(BencodeValue.Entry(key: item.compact, value: terms))
                }
                if !withTerms.isEmpty { r.nerd = BencodeValue(.dictionary(withTerms)) }
            }
            fillNodes(infoHash)
        case "announce_peer":
            guard let infoHash = arguments.infoHash, let token = arguments.token else {
                return protocolError("missing info_hash or token", transactionID, address)
            }
            guard tokens.isValid(token, for: address.ip, now: now) else {
                return protocolError("bad token", transactionID, address)
            }
            let port = arguments.impliedPort ? address.port : (arguments.port ?? 0)
            guard port != 0 else { return protocolError("missing port", transactionID, address) }
            store.add(address.ip + [UInt8(port >> 8), UInt8(port & 0xFF)], for: infoHash, terms: arguments.nerd, now: now)
        case "sample_infohashes":
            guard let target = arguments.target else { return protocolError("missing target", transactionID, address) }
            r.samples = store.sample(20)
            r.num = store.peers.count
            r.interval = 300
            fillNodes(target)
        default:
            reply(.init(transactionID: transactionID, body: .error(code: KRPCMessage.ErrorCode.methodUnknown, message: "method unknown")),
                  to: address)
            return
        }
        queriesAnswered += 1
        if !readOnly {
            table.heard(from: DHTNodeInfo(id: sender, ip: address.ip, port: address.port), responded: false)
            // A node that only queried us is handed out once it answers a ping of ours, so a
            // spoofed source address never reaches other nodes' lookups.
            if table.startVerifying(sender) { _ = query("ping", KRPCArguments(id: id), to: address) }
        }
        reply(.init(transactionID: transactionID, body: .response(r), version: Self.version, yourAddress: address.compact), to: address)
    }

    private func protocolError(_ text: String, _ transactionID: [UInt8], _ address: DHTAddress) {
        reply(.init(transactionID: transactionID, body: .error(code: KRPCMessage.ErrorCode.protocol, message: text)), to: address)
    }

    private func reply(_ message: KRPCMessage, to address: DHTAddress) {
        guard let channel, !configuration.loopbackOnly || address.isLoopback else { return }
        send(message.bytes, to: address, channel: channel)
    }

    // MARK: Maintenance

    private func maintain() {
        let now = NIODeadline.now()
        store.expire(now: now)
        let (questionable, stale) = table.maintenance(now: now)
        for node in questionable.prefix(8) { _ = query("ping", KRPCArguments(id: id), to: node.address) }
        for bucket in stale.prefix(2) { _ = lookup(target: table.randomID(inBucket: bucket), getPeers: false) }
        // Nobody answered at the start (bootstrap nodes down, no network yet): join again
        // rather than wait for the 15-minute bucket refresh.
        if table.count < RoutingTable.k { _ = lookup(target: id, getPeers: false) }
        saveState()
    }

    /// - Returns: why the state could not be written, if it could not.
    @discardableResult
    private func saveState() -> String? {
        guard let path = stateFile else { return nil }
        return DHTState(id: id, nodes: table.allNodes).save(to: path)
    }
}

/// Reads datagrams into the node, on its loop.
final class KRPCHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let node: DHTNode

    init(node: DHTNode) { self.node = node }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let address = DHTAddress(envelope.remoteAddress), envelope.data.readableBytes <= KRPCMessage.maxSize else { return }
        node.received(Array(envelope.data.readableBytesView), from: address)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // ICMP errors from dead nodes surface here; the query times out on its own.
    }

    func channelInactive(context: ChannelHandlerContext) {
        node.socketClosed(context.channel)
        context.fireChannelInactive()
    }
}

