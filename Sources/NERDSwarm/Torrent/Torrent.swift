import Dispatch
import Logging
import NERDCrypto
import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// One torrent's swarm: its peers, piece picker, choker and storage.
///
/// `@unchecked Sendable`: every mutable property is touched only on `eventLoop` (the
/// session's loop, which also runs every peer channel of the torrent); each entry point from
/// elsewhere hops there first, and internal methods assert it. Disk and hashing work runs on
/// the thread pool and reports back on the loop.
public final class Torrent: @unchecked Sendable {
    public let metainfo: Metainfo
    public let infoHash: [UInt8]
    /// A hybrid torrent's SHA-256 info-hash truncated to 20 bytes: BEP 52 peers may address
    /// the torrent by it in their handshake (libtorrent does, for peers found under it).
    public var v2WireHash: [UInt8]? {
        guard metainfo.infoHashes.v1 != nil, let v2 = metainfo.infoHashes.v2 else { return nil }
        return Array(v2.bytes.prefix(20))
    }
    let eventLoop: EventLoop
    let threadPool: NIOThreadPool
    let storage: TorrentStorage
    let peerID: [UInt8]
    let listenPort: Int
    let resumePath: String?
    /// Held while the torrent runs, so no other run writes `resumePath`.
    let resumeLock: FileLock?
    let logger: Logger
    /// What happens to the torrent, in order: checks, peers, pieces, completion, errors.
    /// One consumer; events beyond 1024 unread ones are dropped (oldest kept).
    public let events: AsyncStream<TorrentEvent>
    let eventSink: AsyncStream<TorrentEvent>.Continuation

    var picker: PiecePicker
    var peers: [ObjectIdentifier: Peer] = [:]
    var blockBuffers: [Int: PieceBuffer] = [:]
    var freeBuffers: [PieceBuffer] = []
    lazy var readCache = ReadCache(pieceLength: metainfo.pieceLength)
    /// Whether to send BEP 6 suggestions; set by the session.
    var suggestMode = SuggestMode.none
    var suggestions = SuggestQueue()
    /// Requests waiting for a stretch being read.
    var waitingReads: [ReadCache.Key: [(Peer, BlockRequest)]] = [:]
    let uploadLimit = Throttle()
    let downloadLimit = Throttle()
    /// Shared by every torrent of the session.
    var sessionUploadLimit = Throttle()
    var sessionDownloadLimit = Throttle()
    var throttleTimer: RepeatedTask?
    /// Peers that sent blocks of each in-progress piece, to blame for a hash failure.
    var contributors: [Int: Set<ObjectIdentifier>] = [:]
    var banned: Set<String> = []
    private var choker = Choker()
    private var optimistic: ObjectIdentifier?
    private var ticks = 0
    var state: TorrentStatus.State = .checking
    var downloaded = RateMeter()
    var uploaded = RateMeter()
    var hashFailures = 0
    private var verifiedAtStart: Int64 = 0
    private var selection: Set<Int>?
    var resumeDirty = false
    /// The last piece is in and the files are being checked (``TorrentStorage/finishFiles()``):
    /// not complete yet.
    var finishingFiles = false
    var error: String?
    /// Reads of verified data that failed (see `readFailed`).
    var readFailures = 0
    private var timer: RepeatedTask?
    /// BEP 10 extensions registered with the session.
    var extensions = ExtensionTable()
    /// Where BEP 5 `port` messages go (the node's DHT), set when the torrent is added.
    var dhtPortHandler: (@Sendable (PeerAddress) -> Void)?
    /// The session's DHT port, read at each handshake.
    var dhtPort: NIOLockedValueBox<UInt16?>?

    /// The reserved bits of our handshakes: extensions and fast always, DHT while a DHT runs.
    var reservedBits: Handshake.Reserved {
        dhtPort?.withLockedValue({ $0 }) != nil ? Handshake.Reserved.nerdDefault.union(.dht) : .nerdDefault
    }
    private var lastResumeSave: EventLoopFuture<Void>?
    /// Payload counts of peers that have disconnected, by address, for the run's report.
    private var pastPeers: [String: TorrentStatus.PeerStatus] = [:]
    /// Addresses to keep dialling while not connected (given peers, like `--peer`).
    private var persistentPeers: Set<PeerAddress> = []
    private var dialling: Set<PeerAddress> = []
    /// Opens an outgoing connection; set by the session.
    var dialer: ((PeerAddress) -> EventLoopFuture<Void>)?
    private var completion: [EventLoopPromise<Void>] = []
    /// Most pieces hashed and written at once; beyond it no new pieces are started.
    static let maxPendingPieces = 32
    /// Most requests a peer may have us read at once.
    static let maxServing = 500
    var requestTimeout = TimeAmount.seconds(20)
    /// Disconnect a peer after this many corrupt pieces.
    static let maxHashFailures = 2
    var maxPeers = 50

    init(metainfo: Metainfo, savePath: String, eventLoop: EventLoop, threadPool: NIOThreadPool, peerID: [UInt8],
         listenPort: Int, resumePath: String?, resumeLock: FileLock? = nil, logger: Logger) {
        self.metainfo = metainfo
        self.infoHash = metainfo.infoHashes.wireBytes
        self.eventLoop = eventLoop
        self.threadPool = threadPool
        let layout = FileLayout(metainfo: metainfo, savePath: savePath)
        self.storage = TorrentStorage(layout: layout, pieceHashes: metainfo.pieceHashes)
        self.peerID = peerID
        self.listenPort = listenPort
        self.resumePath = resumePath
        self.resumeLock = resumeLock
        self.logger = logger
        self.picker = PiecePicker(layout: layout, have: Bitfield(count: metainfo.pieceCount))
        (events, eventSink) = AsyncStream.makeStream(of: TorrentEvent.self, bufferingPolicy: .bufferingOldest(1024))
    }

    // MARK: Lifecycle

    /// Loads resume data if it still matches the files, else hashes what is on disk; then
    /// starts the once-a-second tick.
    func start() -> EventLoopFuture<Void> {
        let storage = self.storage
        let resumePath = self.resumePath
        let pieceCount = metainfo.pieceCount
        let threads = max(1, SystemInfo.activeProcessorCount)
        let checked = threadPool.runIfActive(eventLoop: eventLoop) { () -> Bitfield in
            let facts = ResumeData.fileFacts(storage.layout)
            if let resumePath, let resume = ResumeData.load(resumePath), resume.pieceCount == pieceCount,
                resume.files == facts, let bits = try? Bitfield(wire: resume.pieces, pieceCount: pieceCount)
            {
                return bits
            }
            // Only files that exist can hold verified pieces; a fresh download skips hashing.
            guard facts.contains(where: { $0[0] > 0 }) else { return Bitfield(count: pieceCount) }
            let result = NIOLockedValueBox(Bitfield(count: pieceCount))
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                var piece = worker
                while piece < pieceCount {
                    if storage.check(piece: piece) { result.withLockedValue { $0[piece] = true } }
                    piece += threads
                }
            }
            return result.withLockedValue { $0 }
        }
        return checked.map { have in
            self.picker = PiecePicker(layout: self.storage.layout, have: have)
            if let selection = self.selection { self.picker.select(files: selection) }
            self.verifiedAtStart = self.picker.verifiedBytes
            self.state = have.isComplete ? .seeding : self.picker.isComplete ? .finished : .downloading
            self.eventSink.yield(.checked(piecesHave: have.setCount))
            self.resumeDirty = true
            self.timer = self.eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
                self.tick()
            }
            if self.picker.isComplete {
                self.eventSink.yield(.completed)
                self.finishWaiters()
            }
            self.logger.info("torrent ready", metadata: ["have": "\(have.setCount)/\(pieceCount)"])
        }
    }

    /// Disconnects every peer and saves resume data.
    func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.timer?.cancel()
            self.throttleTimer?.cancel()
            self.state = .stopped
            let closes = self.peers.values.map { $0.channel.close() }
            let resume = self.saveResume()
            return EventLoopFuture.andAllComplete(closes + [resume], on: self.eventLoop).map {
                self.storage.closeAll()
                self.resumeLock?.release()
                self.eventSink.finish()
            }
        }
    }

    /// Completes when every piece is verified.
    func waitUntilComplete() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            let promise = self.eventLoop.makePromise(of: Void.self)
            if self.isComplete {
                promise.succeed()
            } else if self.state == .error {
                promise.fail(SwarmError(.storage, self.error ?? "storage error"))
            } else {
                self.completion.append(promise)
            }
            return promise.futureResult
        }
    }

    func finishWaiters() {
        let waiters = completion
        completion = []
        waiters.forEach { $0.succeed() }
    }

    func failWaiters(_ error: SwarmError) {
        let waiters = completion
        completion = []
        waiters.forEach { $0.fail(error) }
    }

    func status() -> EventLoopFuture<TorrentStatus> {
        eventLoop.submit {
            TorrentStatus(
                infoHash: Hex.encode(self.infoHash), state: self.state, totalSize: self.metainfo.totalSize,
                verifiedBytes: self.picker.verifiedBytes, verifiedAtStart: self.verifiedAtStart, piecesHave: self.picker.have.setCount,
                pieceCount: self.metainfo.pieceCount, downloadedThisRun: self.downloaded.total,
                uploadedThisRun: self.uploaded.total, downloadRate: self.downloaded.rate, uploadRate: self.uploaded.rate,
                peers: self.peerReport(), connectedPeers: self.peers.count, hashFailures: self.hashFailures, error: self.error,
                isComplete: self.isComplete)
        }
    }

    // MARK: Peers

    /// Connected peers, plus those that left after moving payload in this run.
    private func peerReport() -> [TorrentStatus.PeerStatus] {
        var report = pastPeers
        for peer in peers.values {
            let key = peer.address.description
            var entry = report[key] ?? .init(address: key, client: peer.clientName, downloaded: 0, uploaded: 0,
                                             downloadRate: 0, uploadRate: 0)
            entry.downloaded += peer.download.total
            entry.uploaded += peer.upload.total
            entry.downloadRate = peer.download.rate
            entry.uploadRate = peer.upload.rate
            entry.client = peer.clientName
            entry.encryption = peer.encryption
            report[key] = entry
        }
        // As documented: peers that moved payload (a connected peer that has sent nothing yet
        // is counted in `connectedPeers` only).
        return report.values.filter { $0.downloaded > 0 || $0.uploaded > 0 }.sorted { $0.address < $1.address }
    }

    /// Whether a peer with this address and ID may join (not banned, not us, not twice).
    func accepts(address: PeerAddress, peerID: [UInt8]) -> Bool {
        eventLoop.preconditionInEventLoop()
        guard state != .stopped, state != .checking, !isHeld, peerID != self.peerID,
            !banned.contains(Self.banKey(address, peerID))
        else {
            return false
        }
        return peers.count < maxPeers && !peers.values.contains { $0.peerID == peerID }
    }

    /// A peer finished its handshake on `channel`.
    func attach(_ peer: Peer) {
        eventLoop.preconditionInEventLoop()
        peers[ObjectIdentifier(peer)] = peer
        eventSink.yield(.peerConnected(address: peer.address.description))
        logger.debug("peer connected", metadata: ["peer": "\(peer.address)", "outgoing": "\(peer.isOutgoing)"])
        if peer.supportsExtensions {
            let ids = extensions.messageIDs
            let handshake = ExtensionHandshake(messageIDs: ids, client: "NERD 0.1", listenPort: listenPort > 0 ? UInt16(listenPort) : nil,
                                               requestQueueLength: Self.maxServing,
                                               metadataSize: ids["ut_metadata"] != nil ? metainfo.infoBytes.count : nil)
            peer.send(.extended(id: 0, payload: ByteBuffer(bytes: handshake.payload)), flush: false)
        }
        let have = picker.have
        if peer.supportsFast && have.isComplete {
            peer.send(.haveAll, flush: false)
        } else if peer.supportsFast && have.isEmpty {
            peer.send(.haveNone, flush: false)
        } else if !have.isEmpty || !peer.supportsFast {
            peer.send(.bitfield(ByteBuffer(bytes: have.bytes)), flush: false)
        }
        // After the availability message, as libtorrent orders it: some clients accept a
        // bitfield only as the first message.
        if peer.reserved.contains(.dht), let port = dhtPort?.withLockedValue({ $0 }) {
            peer.send(.port(port), flush: false)
        }
        // BEP 6: a few pieces the peer may fetch while still choked, to get it started.
        if peer.supportsFast, let ip = Self.ipv4Bytes(peer.address.host) {
            for index in AllowedFastSet.compute(ipv4: ip, infoHash: infoHash, pieceCount: metainfo.pieceCount)
            where picker.have[index] {
                peer.offeredFast.insert(UInt32(index))
                peer.send(.allowedFast(UInt32(index)), flush: false)
            }
        }
        peer.channel.flush()
        if !picker.isComplete, peers.count <= choker.slots { rechoke() }
    }

    func detach(_ peer: Peer) {
        eventLoop.preconditionInEventLoop()
        guard peers.removeValue(forKey: ObjectIdentifier(peer)) != nil else { return }
        picker.peerRemoved(peer.bitfield)
        for request in peer.outstanding.keys { picker.requestDropped(request) }
        peer.outstanding.removeAll()
        if optimistic == ObjectIdentifier(peer) { optimistic = nil }
        eventSink.yield(.peerDisconnected(address: peer.address.description))
        logger.debug("peer disconnected", metadata: ["peer": "\(peer.address)"])
        if peer.download.total > 0 || peer.upload.total > 0, pastPeers.count < 1000 || pastPeers[peer.address.description] != nil {
            var record = pastPeers[peer.address.description]
                ?? .init(address: peer.address.description, client: peer.clientName, downloaded: 0, uploaded: 0,
                         downloadRate: 0, uploadRate: 0)
            record.downloaded += peer.download.total
            record.uploaded += peer.upload.total
            record.encryption = peer.encryption
            pastPeers[peer.address.description] = record
        }
        if peer.peerInterested && !peer.amChoking { rechoke() }
        requestFromAll()
    }

    /// Handles one message from `peer`.
    /// - Throws: ``WireError`` for a protocol violation; the caller disconnects.
    func received(_ message: PeerMessage, from peer: Peer) throws(WireError) {
        eventLoop.preconditionInEventLoop()
        peer.lastReceived = .now()
        switch message {
        case .keepAlive:
            break
        case .choke:
            peer.peerChoking = true
            // Without the fast extension a choke cancels everything outstanding (BEP 3);
            // with it, the peer rejects each request explicitly (BEP 6).
            if !peer.supportsFast {
                for request in peer.outstanding.keys { picker.requestDropped(request) }
                peer.outstanding.removeAll()
            }
        case .unchoke:
            peer.peerChoking = false
            peer.rejectedPieces.removeAll()
            requestMore(peer)
        case .interested:
            peer.peerInterested = true
            if peer.amChoking { rechoke() }
        case .notInterested:
            peer.peerInterested = false
            if !peer.amChoking { rechoke() }
        case .have(let index):
            guard Int(index) < metainfo.pieceCount else { throw WireError(.invalidMessage, "have for piece \(index) out of range") }
            if !peer.bitfield[Int(index)] {
                peer.bitfield[Int(index)] = true
                picker.peerHas(Int(index))
            }
            peer.sentAvailability = true
            updateInterest(peer)
        case .bitfield(let bytes):
            let bits = try Bitfield(wire: bytes.readableBytesView, pieceCount: metainfo.pieceCount)
            if peer.sentAvailability {
                // aria2 follows have-none with a bitfield of what it got since; read a late
                // bitfield as a batch of haves (pieces are never taken back).
                for index in 0..<metainfo.pieceCount where bits[index] && !peer.bitfield[index] {
                    peer.bitfield[index] = true
                    picker.peerHas(index)
                }
                updateInterest(peer)
            } else {
                setAvailability(peer, bits)
            }
        case .haveAll:
            guard peer.supportsFast, !peer.sentAvailability else { throw WireError(.invalidMessage, "unexpected have-all") }
            setAvailability(peer, Bitfield(count: metainfo.pieceCount, full: true))
        case .haveNone:
            guard peer.supportsFast, !peer.sentAvailability else { throw WireError(.invalidMessage, "unexpected have-none") }
            setAvailability(peer, Bitfield(count: metainfo.pieceCount))
        case .request(let request):
            try serve(request, to: peer)
        case .cancel(let request):
            if peer.queuedLive.remove(request) != nil {
                peer.compactQueue()
            } else if peer.inFlight[request] != nil {
                peer.inFlight[request] = true
            }
        case .piece(let index, let begin, let block):
            blockArrived(BlockRequest(index: index, begin: begin, length: UInt32(block.readableBytes)), block, from: peer)
        case .reject(let request):
            guard peer.supportsFast else { throw WireError(.invalidMessage, "reject without the fast extension") }
            if peer.outstanding.removeValue(forKey: request) != nil {
                picker.requestDropped(request)
                // Rejects after a choke are the protocol's way to drop pending requests; one
                // while unchoked means the peer will not serve that piece now. Without a refill
                // the pipeline would drain into refused pieces and stall.
                if !peer.peerChoking {
                    peer.rejectedPieces.insert(request.index)
                    requestMore(peer)
                }
            }
        case .allowedFast(let index):
            guard peer.supportsFast else { throw WireError(.invalidMessage, "allowed fast without the fast extension") }
            // A handful is the norm (k = 10); more is ignored rather than stored.
            if Int(index) < metainfo.pieceCount, peer.allowedFast.count < 64 {
                peer.allowedFast.insert(index)
                if peer.peerChoking { requestMore(peer) }
            }
        case .port(let port):
            // The peer runs a DHT node at this UDP port: a candidate for the routing table.
            // Once per connection, so a peer cannot make us ping without end.
            if port != 0, !peer.sentDHTPort {
                peer.sentDHTPort = true
                dhtPortHandler?(PeerAddress(host: peer.address.host, port: Int(port)))
            }
        case .suggest(let index):
            // Advisory (BEP 6): remembered, newest kept, and tried before the rarest piece.
            guard peer.supportsFast else { throw WireError(.invalidMessage, "suggest without the fast extension") }
            guard Int(index) < metainfo.pieceCount, picker.canStart(Int(index)) else { break }
            peer.suggestedByPeer.removeAll { $0 == index }
            if peer.suggestedByPeer.count >= Peer.maxSuggestions { peer.suggestedByPeer.removeFirst() }
            peer.suggestedByPeer.append(index)
            requestMore(peer)
        case .extended(let id, let payload):
            if id == 0 {
                let handshake = try ExtensionHandshake(payload: Array(payload.readableBytesView))
                peer.client = handshake.client
                if let reqq = handshake.requestQueueLength { peer.maxRequests = max(1, min(reqq, 2000)) }
                let known = peer.extensionIDs
                peer.extensionIDs = handshake.messageIDs.filter { $0.value != 0 }
                for ext in extensions.extensions {
                    if let remote = peer.extensionIDs[ext.name], known[ext.name] == nil {
                        ext.peerConnected(ExtensionPeer(address: peer.address, infoHash: infoHash, channel: peer.channel,
                                                        remoteID: remote))
                    }
                }
            } else if let ext = extensions.byLocalID(id) {
                // A peer may only use an extension it announced (BEP 10).
                guard let remote = peer.extensionIDs[ext.name] else {
                    throw WireError(.invalidMessage, "extension message \(id) before its handshake")
                }
                ext.received(payload, from: ExtensionPeer(address: peer.address, infoHash: infoHash, channel: peer.channel,
                                                          remoteID: remote))
            }
        }
    }

    private func setAvailability(_ peer: Peer, _ bits: Bitfield) {
        peer.bitfield = bits
        peer.sentAvailability = true
        picker.peerAdded(bits)
        updateInterest(peer)
        // Two seeds have nothing to say to each other.
        if bits.isComplete && picker.isComplete { peer.channel.close(promise: nil) }
    }

    private func updateInterest(_ peer: Peer) {
        let interesting = picker.isInteresting(peer.bitfield)
        if interesting != peer.amInterested {
            peer.amInterested = interesting
            peer.send(interesting ? .interested : .notInterested)
        }
        if interesting { requestMore(peer) }
    }

    // MARK: Control

    /// Downloads only the pieces holding these files (indices into `metainfo.files`); `nil`
    /// downloads everything. Other files' pieces are neither requested nor waited for.
    public func selectFiles(_ indices: Set<Int>?) {
        eventLoop.execute {
            self.selection = indices
            guard self.state != .checking, self.state != .stopped else { return }
            self.picker.select(files: indices)
            if !self.isHeld { self.state = self.settledState }
            for peer in self.peers.values { self.updateInterest(peer) }
            if self.picker.isComplete && !self.finishingFiles { self.finishWaiters() }
        }
    }

    /// Every wanted piece in, checked at start or, after a download, with its files checked.
    private var isComplete: Bool {
        picker.isComplete && state != .checking && state != .error && !finishingFiles
    }

    /// Paused, or stopped by a storage error: no peers taken or dialled until ``resume()``.
    var isHeld: Bool { state == .paused || state == .error }

    /// The state the torrent's pieces call for, when it is neither checking, paused nor stopped.
    /// While the finished files are checked it is still downloading.
    var settledState: TorrentStatus.State {
        if finishingFiles { return .downloading }
        return picker.have.isComplete ? .seeding : picker.isComplete ? .finished : .downloading
    }

    /// Disconnects every peer and stops transferring until ``resume()``; resume data is saved.
    public func pause() {
        eventLoop.execute {
            guard self.state != .stopped, self.state != .paused, self.state != .checking else { return }
            self.state = .paused
            for peer in self.peers.values { peer.channel.close(promise: nil) }
            self.saveResume()
            self.eventSink.yield(.paused)
        }
    }

    /// Starts transferring again after ``pause()`` or a storage error (once space is freed,
    /// say), re-dialling the given peers.
    public func resume() {
        eventLoop.execute {
            guard self.isHeld else { return }
            let wasError = self.state == .error
            if wasError { self.error = nil }
            self.state = self.settledState
            self.eventSink.yield(.resumed)
            // Stopped by the check of the finished files (one removed meanwhile): check again.
            if wasError, self.picker.have.isComplete, !self.finishingFiles { self.finishFiles() }
            self.redialPersistentPeers()
        }
    }

    // MARK: Timers

    private func tick() {
        ticks += 1
        downloaded.tick()
        uploaded.tick()
        let now = NIODeadline.now()
        for peer in peers.values {
            peer.download.tick()
            peer.upload.tick()
            // A request unanswered too long means the peer is snubbing us: everything it
            // holds goes back to the picker, and it gets one request at a time from now on.
            if peer.outstanding.values.contains(where: { now - $0 > self.requestTimeout }) {
                peer.snubbed = true
                for request in peer.outstanding.keys { picker.requestDropped(request) }
                peer.outstanding.removeAll()
                requestFromAll()
            }
            if now - peer.lastReceived > .minutes(3) { peer.channel.close(promise: nil) }
            if now - peer.lastSent > .seconds(90) { peer.send(.keepAlive) }
            requestMore(peer)
        }
        if ticks % 3 == 0, !isHeld { redialPersistentPeers() }
        if ticks % 30 == 0 { optimistic = nil }
        if ticks % 10 == 0 || optimistic == nil { rechoke() }
        if ticks % 5 == 0, resumeDirty { _ = saveResume() }
    }

    /// Dials `address` now and again every few seconds whenever no connection to it is open.
    func keepConnected(to address: PeerAddress) {
        eventLoop.execute {
            self.persistentPeers.insert(address)
            self.dial(address)
        }
    }

    /// Dials once (a peer from a tracker or the DHT), within the peer limit.
    func dialOnce(_ address: PeerAddress) {
        eventLoop.execute { self.dial(address) }
    }

    private func dial(_ address: PeerAddress) {
        guard let dialer, state != .stopped, state != .error, !dialling.contains(address),
            !peers.values.contains(where: { $0.address == address }), peers.count < maxPeers
        else { return }
        dialling.insert(address)
        dialer(address).whenComplete { _ in self.dialling.remove(address) }
    }

    private func redialPersistentPeers() {
        // A seed has nothing to fetch; it still dials so that peers which only accept
        // incoming connections (Transmission, libtorrent behind the loopback) can download.
        for address in persistentPeers { dial(address) }
    }

    private func rechoke() {
        let candidates = peers.values.map {
            Choker.Candidate(id: ObjectIdentifier($0), interested: $0.peerInterested,
                             downloadRate: $0.download.rate, uploadRate: $0.upload.rate)
        }
        var chosen = choker.unchoke(candidates, seeding: picker.isComplete, optimistic: optimistic)
        if optimistic == nil || !chosen.contains(optimistic!) {
            optimistic = choker.pickOptimistic(candidates, excluding: chosen)
            if let optimistic { chosen.insert(optimistic) }
        }
        for peer in peers.values {
            let unchoke = chosen.contains(ObjectIdentifier(peer))
            if unchoke == peer.amChoking {
                peer.amChoking = !unchoke
                peer.send(unchoke ? .unchoke : .choke)
                if !unchoke { peer.dropServing() }
                if unchoke, suggestMode == .readCache {
                    suggest(suggestions.candidates(count: 4) { canSuggest($0, to: peer) }, to: peer)
                }
            }
        }
    }

    @discardableResult
    func saveResume() -> EventLoopFuture<Void> {
        guard let resumePath, state != .checking else { return eventLoop.makeSucceededVoidFuture() }
        resumeDirty = false
        let have = picker.have
        let storage = self.storage
        let threadPool = self.threadPool
        let eventLoop = self.eventLoop
        // Saves run one after another: two writers of the same temporary file would race.
        let previous = lastResumeSave ?? eventLoop.makeSucceededVoidFuture()
        let save = previous.flatMap {
            threadPool.runIfActive(eventLoop: eventLoop) {
            // fsync first so the recorded times describe data that is really on disk.
            storage.syncAll()
            let resume = ResumeData(pieces: have.bytes, pieceCount: have.count, files: ResumeData.fileFacts(storage.layout))
            try resume.save(resumePath)
            }
        }.recover { error in
            self.logger.error("cannot save resume data", metadata: ["error": "\(error)"])
        }
        lastResumeSave = save
        return save
    }
}
