import Logging
import NIOConcurrencyHelpers

/// Keeps one torrent announced to its trackers and hands out the peers they return.
///
/// Follows BEP 12: each tier is shuffled once; trackers in a tier are tried in order and the
/// one that answers moves to the front; the next tier is tried only when a whole tier fails.
/// A UDP tracker that is not the last one left in a round gets one try (the client's
/// `udpBaseTimeout`, 15 s by default) before the next is asked.
/// Sends `started` first, `completed` when the torrent finishes (if it started incomplete),
/// regular announces at the tracker's interval (never sooner than its `min interval`), and
/// `stopped` from ``stop()``. Failed rounds are retried after a delay that doubles up to the
/// normal interval.
public final class TrackerAnnouncer: Sendable {
    /// How far the torrent has got, as the announce reports it.
    public struct Progress: Sendable {
        public var uploaded: Int64
        public var downloaded: Int64
        /// Bytes still wanted; 0 for a seeder.
        public var left: Int64
        public init(uploaded: Int64, downloaded: Int64, left: Int64) {
            self.uploaded = uploaded
            self.downloaded = downloaded
            self.left = left
        }
    }

    public struct Configuration: Sendable {
        /// Tiers of announce URLs (a torrent's `announce-list`, BEP 12).
        public var tiers: [[String]]
        /// The 20-byte info-hash and peer ID.
        public var infoHash: [UInt8]
        public var peerID: [UInt8]
        /// The TCP port peers reach us on.
        public var port: UInt16
        public var numWant: Int
        /// NERD extension: our payment terms, and whether to ask for the peers' terms.
        public var terms: PaymentTerms?
        public var wantsTerms: Bool
        /// First retry delay after a failed round, in seconds (doubles on each failure).
        public var retryDelay: Int
        /// How long `stop()` waits for the `stopped` announce, in seconds.
        public var stopTimeout: Int

        public init(tiers: [[String]], infoHash: [UInt8], peerID: [UInt8], port: UInt16, numWant: Int = 50,
                    terms: PaymentTerms? = nil, wantsTerms: Bool = false, retryDelay: Int = 15, stopTimeout: Int = 3) {
            self.tiers = tiers
            self.infoHash = infoHash
            self.peerID = peerID
            self.port = port
            self.numWant = numWant
            self.terms = terms
            self.wantsTerms = wantsTerms
            self.retryDelay = max(1, retryDelay)
            self.stopTimeout = stopTimeout
        }
    }

    /// The outcome of the latest round, for status displays.
    public struct Status: Sendable {
        public var lastTracker: String?
        public var lastError: String?
        public var announces: Int
        public var seeders: Int?
        public var leechers: Int?
    }

    private struct State {
        var tiers: [[String]]
        var key = UInt32.random(in: .min ... .max)
        var startedWith: String?
        var sentCompleted = false
        var status = Status(announces: 0)
        var task: Task<Void, Never>?
        var stopped = false
    }

    /// The shortest re-announce interval honoured, in seconds (tests may run trackers faster).
    public static let minimumInterval = 1

    public let configuration: Configuration
    private let client: TrackerClient
    private let progress: @Sendable () async -> Progress?
    private let logger: Logger
    private let state: NIOLockedValueBox<State>
    private let stream: AsyncStream<(TrackerPeer, PaymentTerms?)>
    private let continuation: AsyncStream<(TrackerPeer, PaymentTerms?)>.Continuation

    /// - Parameters:
    ///   - progress: the torrent's counts; `nil` once it is gone.
    public init(configuration: Configuration, client: TrackerClient, logger: Logger = Logger(label: "nerd.tracker.client"),
                progress: @escaping @Sendable () async -> Progress?) {
        self.configuration = configuration
        self.logger = logger
        self.client = client
        self.progress = progress
        state = NIOLockedValueBox(State(tiers: configuration.tiers.map { $0.shuffled() }.filter { !$0.isEmpty }))
        (stream, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1000))
    }

    /// Peers as trackers return them (with terms, when the tracker gave some); starts the
    /// announce loop on first use. Finishes after ``stop()``.
    public func peers() -> AsyncStream<(TrackerPeer, PaymentTerms?)> {
        state.withLockedValue { state in
            if state.task == nil && !state.stopped {
                state.task = Task { await self.run() }
            }
        }
        return stream
    }

    public var status: Status { state.withLockedValue { $0.status } }

    /// Ends the loop and sends `stopped` to the tracker that took `started`, waiting at most
    /// ``Configuration/stopTimeout`` seconds. A torrent that finished since its last announce
    /// sends `completed` first, so the tracker counts the download (BEP 3) even when the
    /// program stops right after finishing, before the loop's next check.
    public func stop() async {
        let (task, tracker, sentCompleted) = state.withLockedValue { state -> (Task<Void, Never>?, String?, Bool) in
            state.stopped = true
            return (state.task, state.startedWith, state.sentCompleted)
        }
        // The loop may be inside an announce that ignores cancellation (a UDP retry can take
        // minutes): cancel it and move on rather than wait for it.
        task?.cancel()
        continuation.finish()
        guard let tracker, let progress = await progress() else { return }
        let stopped = makeRequest(event: .stopped, progress: progress, numWant: 0)
        let requests = progress.left == 0 && !sentCompleted
            ? [makeRequest(event: .completed, progress: progress, numWant: 0), stopped] : [stopped]
        let client = client
        // Whichever ends first, the `stopped` announce or the timeout, lets `stop()` return.
        let finished = NIOLockedValueBox(false)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let resumeOnce: @Sendable () -> Void = {
                if finished.withLockedValue({ let first = !$0; $0 = true; return first }) { done.resume() }
            }
            Task {
                for request in requests { _ = try? await client.announce(tracker, request) }
                resumeOnce()
            }
            Task {
                try? await Task.sleep(for: .seconds(self.configuration.stopTimeout))
                resumeOnce()
            }
        }
    }

    // MARK: Loop

    private func run() async {
        var failures = 0
        while !Task.isCancelled {
            guard let now = await progress() else { break }
            let (startedWith, sentCompleted) = state.withLockedValue { ($0.startedWith, $0.sentCompleted) }
            let event: AnnounceRequest.Event
            if startedWith == nil {
                event = .started
            } else if now.left == 0 && !sentCompleted {
                event = .completed
            } else {
                event = .none
            }
            let wait: Int
            do {
                let (url, response) = try await announceToTiers(makeRequest(event: event, progress: now, numWant: configuration.numWant))
                failures = 0
                state.withLockedValue { state in
                    if event == .started {
                        state.startedWith = url
                        // A torrent that starts complete never sends `completed`.
                        state.sentCompleted = now.left == 0
                    }
                    if event == .completed { state.sentCompleted = true }
                    state.status.announces += 1
                    state.status.lastTracker = url
                    state.status.lastError = nil
                    state.status.seeders = response.complete
                    state.status.leechers = response.incomplete
                }
                logger.debug("announced", metadata: [
                    "tracker": "\(url)", "event": "\(event.rawValue)", "peers": "\(response.peers.count)",
                    "interval": "\(response.interval)",
                ])
                if let warning = response.warning {
                    logger.warning("tracker warning", metadata: ["tracker": "\(url)", "message": "\(warning)"])
                }
                for peer in response.peers { continuation.yield((peer, response.terms[peer])) }
                // A tracker's interval is clamped to 1 minute–2 hours (0 or 2^63 from a broken or
                // hostile tracker would mean a flood or silence); `min interval` still holds.
                wait = min(max(response.interval, response.minInterval ?? 0, Self.minimumInterval), 7200)
            } catch {
                // Stopped meanwhile (the client shut down under the announce): not a failure to report.
                if Task.isCancelled || state.withLockedValue({ $0.stopped }) { return }
                failures += 1
                state.withLockedValue { $0.status.lastError = error.description }
                // Every tracker of every tier failed; the last error says why.
                logger.warning("announce failed", metadata: ["error": "\(error)", "retry_seconds": "\(min(configuration.retryDelay << min(failures - 1, 10), 1800))"])
                wait = min(configuration.retryDelay << min(failures - 1, 10), 1800)
            }
            // Sleep in one-second steps so completion is announced as soon as it happens.
            let announcedIncomplete = now.left > 0
            for _ in 0..<wait {
                try? await Task.sleep(for: .seconds(1))
                if Task.isCancelled { return }
                if announcedIncomplete, failures == 0, let later = await progress(), later.left == 0,
                   !state.withLockedValue({ $0.sentCompleted })
                {
                    break
                }
            }
        }
    }

    private func makeRequest(event: AnnounceRequest.Event, progress: Progress, numWant: Int) -> AnnounceRequest {
        AnnounceRequest(infoHash: configuration.infoHash, peerID: configuration.peerID, port: configuration.port,
                        uploaded: progress.uploaded, downloaded: progress.downloaded, left: progress.left, event: event,
                        numWant: numWant, key: state.withLockedValue { $0.key }, terms: configuration.terms,
                        wantsTerms: configuration.wantsTerms)
    }

    /// One BEP 12 round. - Returns: the URL that answered and its reply.
    private func announceToTiers(_ request: AnnounceRequest) async throws(TrackerError) -> (String, AnnounceResponse) {
        let tiers = state.withLockedValue { $0.tiers }
        var lastError = TrackerError(.network, "the torrent has no usable tracker")
        var untried = tiers.reduce(0) { $0 + $1.count }
        for (t, tier) in tiers.enumerated() {
            for url in tier {
                if Task.isCancelled { throw TrackerError(.network, "stopped") }
                untried -= 1
                do {
                    // A silent UDP tracker gets one try while others wait their turn, as in
                    // libtorrent: BEP 15's full back-off would hold the next tier for minutes.
                    let response = try await client.announce(url, request, udpMaxRetries: untried > 0 ? 0 : nil)
                    state.withLockedValue { state in
                        guard t < state.tiers.count, let i = state.tiers[t].firstIndex(of: url) else { return }
                        state.tiers[t].remove(at: i)
                        state.tiers[t].insert(url, at: 0)
                    }
                    return (url, response)
                } catch {
                    logger.debug("tracker failed", metadata: ["tracker": "\(url)", "error": "\(error)"])
                    lastError = error
                }
            }
        }
        throw lastError
    }
}
