import NERDWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Announces and scrapes over HTTP (BEP 3, 7, 23, 48) and UDP (BEP 15).
///
/// ```swift
/// let client = TrackerClient(configuration: .init(loopbackOnly: true))
/// let reply = try await client.announce("udp://127.0.0.1:6969/announce", request)
/// await client.shutdown()
/// ```
public final class TrackerClient: Sendable {
    public struct Configuration: Sendable {
        /// Refuse every tracker whose address is off loopback (tests, CI; `NERD_LOOPBACK_ONLY=1` also sets it).
        public var loopbackOnly: Bool
        /// How long an HTTP exchange (connect to last byte) may take.
        public var httpTimeout: TimeAmount
        /// BEP 15's retransmission base: the n-th try waits base·2ⁿ (15 s in the BEP).
        public var udpBaseTimeout: TimeAmount
        /// The largest n tried (the BEP allows 8, about 2 hours in all; 3 gives up after 225 s
        /// so a dead tracker does not hold its tier).
        public var udpMaxRetries: Int
        public var userAgent: String

        public init(loopbackOnly: Bool = false, httpTimeout: TimeAmount = .seconds(20), udpBaseTimeout: TimeAmount = .seconds(15),
                    udpMaxRetries: Int = 3, userAgent: String = "NERD/0.1") {
            self.loopbackOnly = loopbackOnly || LoopbackGuardSetting.fromEnvironment
            self.httpTimeout = httpTimeout
            self.udpBaseTimeout = udpBaseTimeout
            self.udpMaxRetries = udpMaxRetries
            self.userAgent = userAgent
        }
    }

    public let configuration: Configuration
    private let group: EventLoopGroup
    private let ownsGroup: Bool
    private let http: HTTPTrackerClient
    private let udp: UDPTrackerClient

    /// Exchanges still running, so the client's own threads stop only after the last one:
    /// an announce that was mid-connect when `shutdown()` came must not find its event loop gone.
    private struct Lifecycle {
        /// No new exchanges from here on.
        var closed = false
        /// `shutdown()` has closed the sockets: the threads may stop once idle.
        var closedDown = false
        var inFlight = 0
        var groupStopped = false

        /// Whether the threads should stop now (and they are marked as stopping).
        mutating func groupMayStop() -> Bool {
            guard closedDown, inFlight == 0, !groupStopped else { return false }
            groupStopped = true
            return true
        }
    }
    private let lifecycle = NIOLockedValueBox(Lifecycle())

    /// - Parameter group: event loops to run on; `nil` makes a one-thread group of its own.
    public init(configuration: Configuration = Configuration(), group: EventLoopGroup? = nil) {
        self.configuration = configuration
        self.group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        ownsGroup = group == nil
        http = HTTPTrackerClient(group: self.group, timeout: configuration.httpTimeout, userAgent: configuration.userAgent)
        udp = UDPTrackerClient(group: self.group, baseTimeout: configuration.udpBaseTimeout,
                               maxRetries: configuration.udpMaxRetries, loopbackOnly: configuration.loopbackOnly)
    }

    /// Announces to one tracker.
    /// - Parameter udpMaxRetries: for a UDP tracker, the largest n tried in place of
    ///   ``Configuration/udpMaxRetries`` (0: one try of `udpBaseTimeout`, as when other
    ///   trackers are waiting their turn).
    /// - Throws: ``TrackerError``: `.invalidRequest` (an info-hash or peer ID that is not 20
    ///   bytes, sent nowhere), `.unsupportedURL`, `.loopbackGuard`, `.network` (also after
    ///   ``shutdown()``), `.timeout`, `.invalidResponse`, or `.trackerFailure` with the
    ///   tracker's reason.
    public func announce(_ url: String, _ request: AnnounceRequest, udpMaxRetries: Int? = nil) async throws(TrackerError)
        -> AnnounceResponse
    {
        guard request.infoHash.count == 20, request.peerID.count == 20 else {
            throw TrackerError(.invalidRequest, "an announce needs a 20-byte info-hash and peer ID, got \(request.infoHash.count) and \(request.peerID.count) bytes")
        }
        let parsed = try checked(url)
        try begin()
        defer { end() }
        switch parsed.scheme {
        case .http:
            let body = try await http.get(parsed, query: HTTPTrackerCodec.query(for: request))
            return try HTTPTrackerCodec.parseAnnounceResponse(body)
        case .udp:
            return try await udp.announce(parsed, request: request, maxRetries: udpMaxRetries)
        }
    }

    /// Scrapes one tracker for counts of up to 64 (HTTP) or 74 (UDP) torrents.
    /// - Returns: counts by 20-byte info-hash (torrents the tracker does not know may be absent).
    /// - Throws: ``TrackerError`` as ``announce(_:_:udpMaxRetries:)``; `.unsupportedURL` when an HTTP
    ///   announce URL has no scrape URL (BEP 48).
    public func scrape(_ url: String, infoHashes: [[UInt8]]) async throws(TrackerError) -> [[UInt8]: ScrapeEntry] {
        if let bad = infoHashes.first(where: { $0.count != 20 }) {
            throw TrackerError(.invalidRequest, "a scrape needs 20-byte info-hashes, got one of \(bad.count) bytes")
        }
        let parsed = try checked(url)
        try begin()
        defer { end() }
        switch parsed.scheme {
        case .http:
            guard let scrapeText = HTTPTrackerCodec.scrapeURL(forAnnounce: url) else {
                throw TrackerError(.unsupportedURL, "\(url) has no scrape URL")
            }
            guard infoHashes.count <= HTTPTrackerCodec.maxScrapeHashes else {
                throw TrackerError(.invalidRequest, "at most \(HTTPTrackerCodec.maxScrapeHashes) info-hashes per scrape")
            }
            let query = infoHashes.map { "info_hash=" + URLEscaping.escapeComponent($0) }.joined(separator: "&")
            let body = try await http.get(try TrackerURL(scrapeText), query: query)
            return try HTTPTrackerCodec.parseScrapeResponse(body)
        case .udp:
            return try await udp.scrape(parsed, infoHashes: infoHashes)
        }
    }

    /// Ends the exchanges still running (they fail with `.network`), closes the UDP sockets and
    /// the threads, if the client made them; later calls fail with `.network`. Threads still
    /// finishing an exchange stop when it has ended, without being waited for.
    public func shutdown() async {
        lifecycle.withLockedValue { $0.closed = true }
        await udp.shutdown()
        http.closeAll()
        // Only now may the last exchange to end stop the threads: closing the sockets above
        // still needs them.
        let idle = lifecycle.withLockedValue { state -> Bool in
            state.closedDown = true
            return state.groupMayStop()
        }
        if ownsGroup, idle { try? await group.shutdownGracefully() }
    }

    private func begin() throws(TrackerError) {
        let open = lifecycle.withLockedValue { state -> Bool in
            guard !state.closed else { return false }
            state.inFlight += 1
            return true
        }
        guard open else { throw TrackerError(.network, "the tracker client was shut down") }
    }

    private func end() {
        let last = lifecycle.withLockedValue { state -> Bool in
            state.inFlight -= 1
            return state.groupMayStop()
        }
        if ownsGroup, last { group.shutdownGracefully { _ in } }
    }

    private func checked(_ url: String) throws(TrackerError) -> TrackerURL {
        let parsed = try TrackerURL(url)
        if configuration.loopbackOnly, !parsed.isLoopback {
            throw TrackerError(.loopbackGuard, "\(url) is not a loopback address and the loopback-only guard is on")
        }
        return parsed
    }
}
