import Glibc

/// BEP 15 load: up to `window` requests in flight over a few connected UDP sockets, one thread.
///
/// Each in-flight request lives in a slot; its transaction ID is the slot index (low 16 bits)
/// and a per-slot generation (high 16 bits), so a reply is matched in O(1) and a reply that
/// arrives after its request timed out is recognised as late, not credited to the next one.
/// Without `--reuse-connection-id` every announce is a connect + announce pair on the same
/// socket (trackers bind the connection ID to the client's address and port). With it, each
/// socket keeps one ID and renews it after 60 s or 1000 announces, as a long-running client would.
final class UDPLoad {
    private struct Slot {
        enum State { case idle, connecting, announcing }
        var state = State.idle
        var generation: UInt16 = 0
        var peer = InfoHashes.Peer(torrent: 0, peer: 0, peers: 1)
        var sentAt: UInt64 = 0
        /// This slot's connect renews its socket's shared ID (reuse mode).
        var renewing = false
    }

    /// One socket and, in reuse mode, the connection ID its announces share.
    private struct Endpoint {
        let fd: Int32
        var connectionID: UInt64?
        var connectedAt: UInt64 = 0
        var announcesSinceConnect = 0
        var renewing = false
    }

    static let protocolID: UInt64 = 0x417_2710_1980
    static let renewNanoseconds = Clock.nanoseconds(60)
    static let renewAnnounces = 1000
    /// Past this age an ID is not used even while its renewal is in flight (BEP 15: valid 1–2 min).
    static let staleNanoseconds = Clock.nanoseconds(100)

    private let options: LoadOptions
    private let target: LoadOptions.Target
    private var workload: Workload
    private var slots: [Slot]
    private var endpoints: [Endpoint]
    private var summary: LoadSummary
    private let packet = UnsafeMutableRawPointer.allocate(byteCount: 2048, alignment: 8)
    private var lastCompletion: UInt64 = 0

    init(options: LoadOptions, target: LoadOptions.Target) throws(LoadError) {
        self.options = options
        self.target = target
        workload = Workload(options: options)
        slots = Array(repeating: Slot(), count: options.window)
        endpoints = []
        summary = LoadSummary(
            mode: .udp, target: target.text,
            variant: options.fill ? "fill" : options.reuseConnectionID ? "reused connection IDs" : "connect+announce",
            pairs: !options.reuseConnectionID)
        for _ in 0..<min(options.sockets, options.window) {
            do {
                endpoints.append(Endpoint(fd: try Sockets.udp(to: target)))
            } catch {
                closeAll()
                throw error
            }
        }
    }

    deinit {
        closeAll()
        packet.deallocate()
    }

    private func closeAll() {
        for endpoint in endpoints { close(endpoint.fd) }
        endpoints = []
    }

    func run() -> LoadSummary {
        var pollSet = endpoints.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        var now = Clock.now()
        workload.start(now: now)
        lastCompletion = now
        let hardStop = now + Clock.nanoseconds(options.maxSeconds + LoadOptions.replyTimeout)
        var lastSweep = now
        while now < hardStop {
            let issuing = workload.mayIssue(now: now)
            if issuing { startIdleSlots(now: now) }
            if !issuing && !slots.contains(where: { $0.state != .idle }) { break }
            // Short timeout: slots waiting for their socket's first ID are retried promptly.
            _ = poll(&pollSet, nfds_t(pollSet.count), 5)
            now = Clock.now()
            for (index, entry) in pollSet.enumerated() where entry.revents != 0 {
                receive(on: index, now: now)
            }
            if now - lastSweep > 50_000_000 {
                expire(now: now)
                lastSweep = now
            }
        }
        expire(now: Clock.now() + Clock.nanoseconds(LoadOptions.replyTimeout) + 1)
        summary.seconds = Double(lastCompletion - workload.started) / 1e9
        return summary
    }

    // MARK: Sending

    private func startIdleSlots(now: UInt64) {
        for index in slots.indices where slots[index].state == .idle {
            guard workload.mayIssue(now: now) else { return }
            start(slot: index, now: now)
        }
    }

    /// Begins the slot's next announce: connect first unless a shared ID can be used.
    /// A slot whose socket has no ID yet and whose renewal is in flight waits (issues nothing).
    private func start(slot index: Int, now: UInt64) {
        let socket = index % endpoints.count
        var connectionID: UInt64?
        if options.reuseConnectionID {
            let endpoint = endpoints[socket]
            let fresh =
                endpoint.connectionID != nil && now - endpoint.connectedAt < Self.renewNanoseconds
                && endpoint.announcesSinceConnect < Self.renewAnnounces
            let usable = endpoint.connectionID != nil && now - endpoint.connectedAt < Self.staleNanoseconds
            if fresh || (endpoint.renewing && usable) {
                connectionID = endpoint.connectionID
            } else if endpoint.renewing {
                return
            }
        }
        slots[index].peer = workload.next()
        if let connectionID {
            sendAnnounce(slot: index, connectionID: connectionID, now: now)
        } else {
            slots[index].renewing = options.reuseConnectionID
            if options.reuseConnectionID { endpoints[socket].renewing = true }
            sendConnect(slot: index, now: now)
        }
    }

    private func nextTransactionID(slot index: Int) -> UInt32 {
        slots[index].generation &+= 1
        return UInt32(slots[index].generation) << 16 | UInt32(index)
    }

    private func sendConnect(slot index: Int, now: UInt64) {
        let tid = nextTransactionID(slot: index)
        packet.storeBytes(of: Self.protocolID.bigEndian, toByteOffset: 0, as: UInt64.self)
        packet.storeBytes(of: UInt32(0).bigEndian, toByteOffset: 8, as: UInt32.self)
        packet.storeBytes(of: tid.bigEndian, toByteOffset: 12, as: UInt32.self)
        send(slot: index, length: 16, state: .connecting, now: now)
    }

    /// The 98-byte BEP 15 announce; `ip` is 0 so the tracker takes the source address.
    private func sendAnnounce(slot index: Int, connectionID: UInt64, now: UInt64) {
        let tid = nextTransactionID(slot: index)
        let peer = slots[index].peer
        packet.storeBytes(of: connectionID.bigEndian, toByteOffset: 0, as: UInt64.self)
        packet.storeBytes(of: UInt32(1).bigEndian, toByteOffset: 8, as: UInt32.self)
        packet.storeBytes(of: tid.bigEndian, toByteOffset: 12, as: UInt32.self)
        InfoHashes.write(seed: options.seed, index: peer.torrent, to: packet + 16)
        peer.writePeerID(to: packet + 36)
        packet.storeBytes(of: UInt64(0).bigEndian, toByteOffset: 56, as: UInt64.self)  // downloaded
        packet.storeBytes(of: peer.left.bigEndian, toByteOffset: 64, as: UInt64.self)
        packet.storeBytes(of: UInt64(0).bigEndian, toByteOffset: 72, as: UInt64.self)  // uploaded
        let event: UInt32 = options.fill ? 2 : 0  // started when joining, none when re-announcing
        packet.storeBytes(of: event.bigEndian, toByteOffset: 80, as: UInt32.self)
        packet.storeBytes(of: UInt32(0), toByteOffset: 84, as: UInt32.self)  // ip
        packet.storeBytes(of: peer.key.bigEndian, toByteOffset: 88, as: UInt32.self)
        packet.storeBytes(of: Int32(50).bigEndian, toByteOffset: 92, as: Int32.self)  // num_want
        packet.storeBytes(of: peer.port.bigEndian, toByteOffset: 96, as: UInt16.self)
        if options.reuseConnectionID { endpoints[index % endpoints.count].announcesSinceConnect += 1 }
        send(slot: index, length: 98, state: .announcing, now: now)
    }

    private func send(slot index: Int, length: Int, state: Slot.State, now: UInt64) {
        let sent = Glibc.send(endpoints[index % endpoints.count].fd, packet, length, Int32(MSG_DONTWAIT))
        guard sent == length else {
            // A full socket buffer or a refused port: the request is lost, not retried.
            summary.errors += 1
            finish(slot: index)
            return
        }
        slots[index].state = state
        slots[index].sentAt = now
    }

    // MARK: Receiving

    /// Drains one socket (bounded, so one busy socket cannot starve the others).
    private func receive(on socket: Int, now: UInt64) {
        for _ in 0..<1024 {
            let length = recv(endpoints[socket].fd, packet, 2048, Int32(MSG_DONTWAIT))
            if length < 0 {
                if Sockets.wouldBlock { return }
                summary.errors += 1  // ECONNREFUSED: nothing listens on the target port
                continue
            }
            handleReply(length: length, socket: socket, now: now)
        }
    }

    private func handleReply(length: Int, socket: Int, now: UInt64) {
        guard length >= 8 else { summary.errors += 1; return }
        let action = UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        let tid = UInt32(bigEndian: packet.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let index = Int(tid & 0xFFFF)
        guard index < slots.count, index % endpoints.count == socket, slots[index].state != .idle,
            slots[index].generation == UInt16(tid >> 16)
        else {
            summary.late += 1
            return
        }
        switch (action, slots[index].state) {
        case (0, .connecting) where length >= 16:
            let connectionID = UInt64(bigEndian: packet.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            summary.connects += 1
            if slots[index].renewing {
                endpoints[socket].connectionID = connectionID
                endpoints[socket].connectedAt = now
                endpoints[socket].announcesSinceConnect = 0
                endpoints[socket].renewing = false
                slots[index].renewing = false
            }
            sendAnnounce(slot: index, connectionID: connectionID, now: now)
        case (1, .announcing) where length >= 20:
            summary.latency.record(nanoseconds: now - slots[index].sentAt)
            summary.announces += 1
            lastCompletion = now
            finish(slot: index)
        default:
            // An error reply (action 3), or a reply of the wrong kind or size.
            summary.errors += 1
            finish(slot: index)
        }
    }

    /// Frees the slot; a renewal that ends without a new ID lets another slot try.
    private func finish(slot index: Int) {
        if slots[index].renewing {
            endpoints[index % endpoints.count].renewing = false
            slots[index].renewing = false
        }
        slots[index].state = .idle
    }

    /// Requests unanswered for 2 s count as timeouts and are dropped.
    private func expire(now: UInt64) {
        let limit = Clock.nanoseconds(LoadOptions.replyTimeout)
        for index in slots.indices where slots[index].state != .idle && now - slots[index].sentAt > limit {
            summary.timeouts += 1
            finish(slot: index)
        }
    }
}
