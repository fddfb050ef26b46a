import Glibc

/// HTTP announce load: up to `window` TCP connections in flight, one thread, poll(2).
///
/// By default every announce opens its own connection and asks `Connection: close`, as clients
/// do with opentracker (which closes every connection anyway); latency then runs from the TCP
/// connect to the last byte of the reply, the whole cost of one announce. With `--keep-alive`
/// each connection carries announce after announce while the server keeps it open, latency runs
/// from the request's send, and a server close is counted and answered with a new connection.
/// After a reply we wait for the server's FIN before closing (bounded), so TIME_WAIT lands on the
/// server's side and a long run does not eat the client's ephemeral ports.
final class HTTPLoad {
    private struct Connection {
        enum State { case idle, connecting, receiving }
        var fd: Int32 = -1
        var state = State.idle
        var startedAt: UInt64 = 0
        var request: [UInt8] = []
        var response: [UInt8] = []
        var head: HTTPResponse?
        /// Replies already read on this TCP connection: a reused one may have been closed meanwhile.
        var served = 0
        /// The request was already resent once on a fresh connection.
        var retried = false
    }

    static let maxResponse = 64 << 10
    static let drainNanoseconds = Clock.nanoseconds(1)

    private let options: LoadOptions
    private let target: LoadOptions.Target
    private var workload: Workload
    private var connections: [Connection]
    /// Sockets whose reply is in, waiting for the server's FIN.
    private var draining: [(fd: Int32, since: UInt64)] = []
    private var summary: LoadSummary
    private let readBuffer = UnsafeMutableRawPointer.allocate(byteCount: 16 << 10, alignment: 8)
    private var lastCompletion: UInt64 = 0

    init(options: LoadOptions, target: LoadOptions.Target) {
        self.options = options
        self.target = target
        workload = Workload(options: options)
        connections = Array(repeating: Connection(), count: options.window)
        summary = LoadSummary(
            mode: .http, target: target.text,
            variant: (options.fill ? "fill, " : "") + (options.keepAlive ? "keep-alive" : "connection per announce"))
    }

    deinit {
        for connection in connections where connection.fd >= 0 { close(connection.fd) }
        for entry in draining { close(entry.fd) }
        readBuffer.deallocate()
    }

    func run() -> LoadSummary {
        var pollSet: [pollfd] = []
        // Which connection each poll entry is for; draining sockets are -1 - their index.
        var owners: [Int] = []
        var now = Clock.now()
        workload.start(now: now)
        lastCompletion = now
        let hardStop = now + Clock.nanoseconds(options.maxSeconds + LoadOptions.replyTimeout)
        var lastSweep = now
        while now < hardStop {
            let issuing = workload.mayIssue(now: now)
            if issuing { startIdle(now: now) }
            if !issuing && draining.isEmpty && !connections.contains(where: { $0.state != .idle }) { break }
            fillPollSet(&pollSet, owners: &owners)
            _ = poll(&pollSet, nfds_t(pollSet.count), 5)
            now = Clock.now()
            var drained: [Int] = []
            for (entry, owner) in zip(pollSet, owners) where entry.revents != 0 {
                if owner >= 0 { handleEvent(connection: owner, now: now) } else { drained.append(-1 - owner) }
            }
            finishDraining(drained)
            if now - lastSweep > 50_000_000 {
                expire(now: now)
                lastSweep = now
            }
        }
        expire(now: Clock.now() + Clock.nanoseconds(LoadOptions.replyTimeout) + 1)
        summary.seconds = Double(lastCompletion - workload.started) / 1e9
        return summary
    }

    private func fillPollSet(_ pollSet: inout [pollfd], owners: inout [Int]) {
        pollSet.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        for (index, connection) in connections.enumerated() where connection.state != .idle {
            let events = connection.state == .connecting ? POLLOUT : POLLIN
            pollSet.append(pollfd(fd: connection.fd, events: Int16(events), revents: 0))
            owners.append(index)
        }
        for (index, entry) in draining.enumerated() {
            pollSet.append(pollfd(fd: entry.fd, events: Int16(POLLIN), revents: 0))
            owners.append(-1 - index)
        }
    }

    // MARK: Requests

    private func startIdle(now: UInt64) {
        for index in connections.indices where connections[index].state == .idle {
            guard workload.mayIssue(now: now) else { return }
            connections[index].request = request(for: workload.next())
            connections[index].startedAt = now
            connections[index].retried = false
            if connections[index].fd >= 0 { send(connection: index) } else { open(connection: index) }
        }
    }

    /// The announce as a BitTorrent client sends it (BEP 3 with BEP 23 compact peers).
    private func request(for peer: InfoHashes.Peer) -> [UInt8] {
        var text = [UInt8]()
        text.reserveCapacity(320)
        text += Array("GET /announce?info_hash=".utf8)
        Self.percentEscape(InfoHashes.bytes(seed: options.seed, index: peer.torrent), into: &text)
        text += Array("&peer_id=".utf8)
        var peerID = [UInt8](repeating: 0, count: 20)
        peerID.withUnsafeMutableBytes { peer.writePeerID(to: $0.baseAddress!) }
        Self.percentEscape(peerID, into: &text)
        var query = "&port=\(peer.port)&uploaded=0&downloaded=0&left=\(peer.left)&compact=1&numwant=50"
        if options.fill { query += "&event=started" }
        query +=
            " HTTP/1.1\r\nHost: \(target.text)\r\nConnection: \(options.keepAlive ? "keep-alive" : "close")\r\n\r\n"
        text += Array(query.utf8)
        return text
    }

    /// RFC 3986 unreserved bytes as they are, every other byte as %XX.
    static func percentEscape(_ bytes: [UInt8], into text: inout [UInt8]) {
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                text.append(byte)
            default:
                text += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 15)]]
            }
        }
    }

    private func open(connection index: Int) {
        guard let (fd, connected) = Sockets.tcp(to: target) else {
            summary.errors += 1
            return  // stays idle: the next pass tries again with the next announce
        }
        connections[index].fd = fd
        connections[index].served = 0
        if connected {
            summary.connects += 1
            send(connection: index)
        } else {
            connections[index].state = .connecting
        }
    }

    /// Writes the whole request (a few hundred bytes always fit a fresh socket buffer).
    private func send(connection index: Int) {
        let fd = connections[index].fd
        let sent = connections[index].request.withUnsafeBytes {
            Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
        }
        if sent == connections[index].request.count {
            connections[index].state = .receiving
        } else if connections[index].served > 0 {
            reopenAfterServerClose(connection: index)
        } else {
            fail(connection: index)
        }
    }

    /// A kept-alive connection the server has closed: resend once on a new connection.
    private func reopenAfterServerClose(connection index: Int) {
        summary.serverCloses += 1
        drop(connection: index)
        guard !connections[index].retried else { summary.errors += 1; return }
        connections[index].retried = true
        open(connection: index)
    }

    // MARK: Replies

    private func handleEvent(connection index: Int, now: UInt64) {
        switch connections[index].state {
        case .connecting:
            guard Sockets.pendingError(connections[index].fd) == 0 else { fail(connection: index); return }
            summary.connects += 1
            send(connection: index)
        case .receiving:
            read(connection: index, now: now)
        case .idle:
            break
        }
    }

    private func read(connection index: Int, now: UInt64) {
        let fd = connections[index].fd
        var atEnd = false
        while connections[index].response.count <= Self.maxResponse {
            let count = Glibc.read(fd, readBuffer, 16 << 10)
            if count > 0 {
                connections[index].response += UnsafeRawBufferPointer(start: readBuffer, count: count)
            } else if count == 0 || !Sockets.wouldBlock {
                atEnd = true  // FIN, or a reset: either way nothing more comes
                break
            } else {
                break
            }
        }
        let bytes = connections[index].response
        if connections[index].head == nil { connections[index].head = HTTPResponse.parseHead(bytes) }
        if let head = connections[index].head, head.isComplete(bytes, atEnd: atEnd) {
            complete(connection: index, head: head, atEnd: atEnd, now: now)
        } else if atEnd && bytes.isEmpty && connections[index].served > 0 {
            reopenAfterServerClose(connection: index)
        } else if atEnd || bytes.count > Self.maxResponse {
            fail(connection: index)
        }
    }

    private func complete(connection index: Int, head: HTTPResponse, atEnd: Bool, now: UInt64) {
        if head.isAnnounceReply(connections[index].response) {
            summary.announces += 1
            summary.latency.record(nanoseconds: now - connections[index].startedAt)
            lastCompletion = now
        } else {
            summary.errors += 1
        }
        connections[index].served += 1
        connections[index].response.removeAll(keepingCapacity: true)
        connections[index].head = nil
        connections[index].state = .idle
        if options.keepAlive && head.keepsAlive && !atEnd { return }
        if options.keepAlive { summary.serverCloses += 1 }
        if atEnd {
            close(connections[index].fd)
        } else {
            draining.append((connections[index].fd, now))
        }
        connections[index].fd = -1
    }

    private func fail(connection index: Int) {
        summary.errors += 1
        drop(connection: index)
    }

    /// Closes the connection's socket and frees it for the next announce.
    private func drop(connection index: Int) {
        if connections[index].fd >= 0 { close(connections[index].fd) }
        connections[index].fd = -1
        connections[index].state = .idle
        connections[index].response.removeAll(keepingCapacity: true)
        connections[index].head = nil
    }

    /// Closes draining sockets that became readable (the FIN, or stray bytes we do not want).
    private func finishDraining(_ indices: [Int]) {
        guard !indices.isEmpty else { return }
        for index in indices { close(draining[index].fd) }
        let done = Set(indices)
        draining = draining.enumerated().filter { !done.contains($0.offset) }.map(\.element)
    }

    /// Requests unanswered for 2 s count as timeouts; sockets draining for 1 s are closed.
    private func expire(now: UInt64) {
        let limit = Clock.nanoseconds(LoadOptions.replyTimeout)
        for index in connections.indices
        where connections[index].state != .idle && now - connections[index].startedAt > limit {
            summary.timeouts += 1
            drop(connection: index)
        }
        let stale = draining.indices.filter { now - draining[$0].since > Self.drainNanoseconds }
        finishDraining(stale)
    }
}
