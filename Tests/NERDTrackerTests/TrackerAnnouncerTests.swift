import Foundation
import NIOConcurrencyHelpers
import Testing

@testable import NERDTracker

@Suite(.serialized) struct TrackerAnnouncerTests {
    static let hash = [UInt8](repeating: 0x3C, count: 20)

    @Test func tiersFailOverEventsFollowProgressAndStopLeavesTheSwarm() async throws {
        // Peers kept an hour: the other peer announces once and must still count as a seed
        // when the checks below run on a slow machine (a CI run once took 108 s here, and
        // expired peers are swept every quarter of the timeout).
        let server = TrackerServer(configuration: .init(http: ("127.0.0.1", 0), udp: ("127.0.0.1", 0), interval: 1, peerTimeout: 3600,
                                                        loopbackOnly: true, threads: 1))
        try await server.start()
        let client = TrackerClient(configuration: .init(loopbackOnly: true, udpBaseTimeout: .milliseconds(100), udpMaxRetries: 0))
        // Another peer already in the swarm, so the announcer has someone to find.
        _ = try await client.announce("udp://\(server.udpAddress!)",
                                      AnnounceRequest(infoHash: Self.hash, peerID: Array(repeating: 9, count: 20), port: 7777, left: 0))
        let deadProbe = try await UDPProbe(target: try .init(ipAddress: "127.0.0.1", port: 9))
        let dead = "udp://127.0.0.1:\(deadProbe.port)/announce"
        let live = "http://\(server.httpAddress!)/announce"
        let left = NIOLockedValueBox<Int64>(1000)
        let announcer = TrackerAnnouncer(
            configuration: .init(tiers: [[dead], [dead, live]], infoHash: Self.hash, peerID: Array(repeating: 1, count: 20),
                                 port: 6000, retryDelay: 1),
            client: client,
            progress: { TrackerAnnouncer.Progress(uploaded: 0, downloaded: 1000 - left.withLockedValue { $0 }, left: left.withLockedValue { $0 }) })
        var peers = announcer.peers().makeAsyncIterator()
        let first = await peers.next()
        #expect(first?.0 == TrackerPeer(ip: [127, 0, 0, 1], port: 7777))
        #expect(announcer.status.lastTracker == live)
        #expect(server.registry.scrape([Self.hash])[0] == ScrapeEntry(complete: 1, downloaded: 0, incomplete: 1))

        left.withLockedValue { $0 = 0 }
        var completed = false
        for _ in 0..<50 where !completed {
            try await Task.sleep(for: .milliseconds(100))
            completed = server.registry.scrape([Self.hash])[0].downloaded == 1
        }
        #expect(completed, "the completed event reached the tracker")
        #expect(server.registry.scrape([Self.hash])[0].complete == 2)

        await announcer.stop()
        #expect(server.registry.scrape([Self.hash])[0].complete == 1, "stopped removed the peer")
        #expect(await peers.next() == nil, "the stream ends after stop")
        deadProbe.close()
        await client.shutdown()
        await server.shutdown()
    }

    /// A download that finishes and stops at once (`nerd get` without `--seed-after`) still
    /// sends `completed` before `stopped`, so the tracker counts it.
    @Test func stoppingRightAfterFinishingSendsCompletedFirst() async throws {
        let server = TrackerServer(configuration: .init(http: ("127.0.0.1", 0), udp: nil, interval: 60, loopbackOnly: true, threads: 1))
        try await server.start()
        let client = TrackerClient(configuration: .init(loopbackOnly: true))
        let left = NIOLockedValueBox<Int64>(1000)
        let announcer = TrackerAnnouncer(
            configuration: .init(tiers: [["http://\(server.httpAddress!)/announce"]], infoHash: Self.hash,
                                 peerID: Array(repeating: 2, count: 20), port: 6001),
            client: client,
            progress: { TrackerAnnouncer.Progress(uploaded: 0, downloaded: 1000 - left.withLockedValue { $0 }, left: left.withLockedValue { $0 }) })
        _ = announcer.peers()
        for _ in 0..<50 where server.registry.scrape([Self.hash])[0].incomplete == 0 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(server.registry.scrape([Self.hash])[0].incomplete == 1, "started reached the tracker")
        left.withLockedValue { $0 = 0 }
        await announcer.stop()
        let counts = server.registry.scrape([Self.hash])[0]
        #expect(counts.downloaded == 1, "completed reached the tracker before stopped")
        #expect(counts.complete == 0 && counts.incomplete == 0, "stopped removed the peer")
        await client.shutdown()
        await server.shutdown()
    }

    /// A silent UDP tracker in the first tier gets one try before the next tier is asked,
    /// not BEP 15's whole back-off (here 1+2+4+8 s), which held the next tier for minutes.
    @Test func aSilentUDPTrackerGetsOneTryWhileOthersWait() async throws {
        let server = TrackerServer(configuration: .init(http: ("127.0.0.1", 0), udp: nil, interval: 60, peerTimeout: 3600,
                                                        loopbackOnly: true, threads: 1))
        try await server.start()
        let client = TrackerClient(configuration: .init(loopbackOnly: true, udpBaseTimeout: .seconds(1), udpMaxRetries: 3))
        _ = try await client.announce("http://\(server.httpAddress!)/announce",
                                      AnnounceRequest(infoHash: Self.hash, peerID: Array(repeating: 9, count: 20), port: 7777, left: 0))
        let deadProbe = try await UDPProbe(target: try .init(ipAddress: "127.0.0.1", port: 9))
        let announcer = TrackerAnnouncer(
            configuration: .init(tiers: [["udp://127.0.0.1:\(deadProbe.port)/announce"], ["http://\(server.httpAddress!)/announce"]],
                                 infoHash: Self.hash, peerID: Array(repeating: 3, count: 20), port: 6002),
            client: client, progress: { TrackerAnnouncer.Progress(uploaded: 0, downloaded: 0, left: 1000) })
        let started = ContinuousClock.now
        var peers = announcer.peers().makeAsyncIterator()
        #expect(await peers.next()?.0 == TrackerPeer(ip: [127, 0, 0, 1], port: 7777))
        let waited = ContinuousClock.now - started
        #expect(waited < .seconds(8), "the second tier waited \(waited)")
        #expect(deadProbe.received() == 1, "one connect request, not a retransmission")
        await announcer.stop()
        deadProbe.close()
        await client.shutdown()
        await server.shutdown()
    }

    /// Shutting the client down ends an HTTP announce still waiting for its reply at once
    /// (before, it ran on and then found its event loop gone), and refuses later ones.
    @Test func shutdownEndsAnHTTPAnnounceInFlight() async throws {
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(30)))
        let request = AnnounceRequest(infoHash: Self.hash, peerID: Array(repeating: 4, count: 20), port: 6003, left: 0)
        let pending = Task { () -> TrackerError? in
            do throws(TrackerError) {
                _ = try await client.announce("http://127.0.0.1:\(port)/announce", request)
                return nil
            } catch { return error }
        }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        await client.shutdown()
        let error = await pending.value
        #expect(error?.code == .network, "\(String(describing: error))")
        #expect(ContinuousClock.now - started < .seconds(10))
        await #expect { _ = try await client.announce("http://127.0.0.1:\(port)/announce", request) } throws: {
            ($0 as? TrackerError)?.code == .network
        }
    }

    /// `shutdown()` returns, again and again, while a UDP announce to a silent tracker and an
    /// HTTP announce to a listener that never answers are both running: a CI run once hung
    /// when the last exchange to fail stopped the client's threads while `shutdown()` was
    /// still closing a socket on them.
    @Test func shutdownReturnsWithExchangesInFlight() async throws {
        let (fd, httpPort) = try Self.silentListener()
        defer { close(fd) }
        let deadProbe = try await UDPProbe(target: try .init(ipAddress: "127.0.0.1", port: 9))
        defer { deadProbe.close() }
        let request = AnnounceRequest(infoHash: Self.hash, peerID: Array(repeating: 5, count: 20), port: 6004, left: 0)
        for round in 0..<20 {
            let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(30), udpBaseTimeout: .seconds(30)))
            let udp = Task { try? await client.announce("udp://127.0.0.1:\(deadProbe.port)/announce", request) }
            let http = Task { try? await client.announce("http://127.0.0.1:\(httpPort)/announce", request) }
            try await Task.sleep(for: .milliseconds(Int.random(in: 5...40)))
            let finished = NIOLockedValueBox(false)
            // Unstructured, so a hang is reported rather than hanging the run.
            Task {
                await client.shutdown()
                _ = await (udp.value, http.value)
                finished.withLockedValue { $0 = true }
            }
            var waited = 0
            while !finished.withLockedValue({ $0 }), waited < 200 {
                try await Task.sleep(for: .milliseconds(50))
                waited += 1
            }
            try #require(finished.withLockedValue { $0 }, "round \(round): shutdown or an announce did not return within 10 s")
        }
    }

    /// A TCP listener on 127.0.0.1 that takes connections into its backlog and never answers.
    static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && listen(fd, 64) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw TrackerError(.network, "cannot listen on 127.0.0.1")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
