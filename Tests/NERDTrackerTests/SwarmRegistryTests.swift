import Foundation
import Testing

@testable import NERDTracker

@Suite struct SwarmRegistryTests {
    static let hash = [UInt8](repeating: 0xAA, count: 20)

    func announce(_ registry: SwarmRegistry, port: UInt16, left: Int64 = 100, event: AnnounceRequest.Event = .none,
                  numWant: Int? = nil, hash: [UInt8] = hash, ip: [UInt8] = [127, 0, 0, 1], terms: PaymentTerms? = nil,
                  wantsTerms: Bool = false) throws -> SwarmRegistry.AnnounceResult {
        let request = AnnounceRequest(infoHash: hash, peerID: Array(repeating: 1, count: 20), port: port, left: left,
                                      event: event, numWant: numWant, terms: terms, wantsTerms: wantsTerms)
        return try registry.announce(request, compactAddress: ip + [UInt8(port >> 8), UInt8(port & 0xFF)])
    }

    func ports(_ compact: [UInt8]) -> Set<UInt16> {
        Set(TrackerPeer.parseCompact(compact, addressLength: 4)!.map(\.port))
    }

    @Test func peersSeeEachOtherButNotThemselves() throws {
        let registry = SwarmRegistry()
        _ = try announce(registry, port: 1, event: .started)
        _ = try announce(registry, port: 2, left: 0, event: .started)
        let third = try announce(registry, port: 3, event: .started)
        #expect(ports(third.peers4) == [1, 2])
        #expect(third.complete == 1 && third.incomplete == 2)
        // Re-announcing does not add a peer twice.
        let again = try announce(registry, port: 3)
        #expect(again.complete + again.incomplete == 3)
    }

    @Test func seedersGetLeechersOnlyAndCountsFollowEvents() throws {
        let registry = SwarmRegistry()
        _ = try announce(registry, port: 1, left: 0, event: .started)
        _ = try announce(registry, port: 2, left: 0, event: .started)
        _ = try announce(registry, port: 3, event: .started)
        #expect(ports(try announce(registry, port: 1, left: 0).peers4) == [3])
        _ = try announce(registry, port: 3, left: 0, event: .completed)
        var scrape = registry.scrape([Self.hash, [UInt8](repeating: 0, count: 20)])
        #expect(scrape[0] == ScrapeEntry(complete: 3, downloaded: 1, incomplete: 0))
        #expect(scrape[1] == ScrapeEntry(complete: 0, downloaded: 0, incomplete: 0))
        let stopped = try announce(registry, port: 2, left: 0, event: .stopped)
        #expect(stopped.peers4.isEmpty, "a stopping peer gets no peers")
        scrape = registry.scrape([Self.hash])
        #expect(scrape[0].complete == 2)
    }

    @Test func numwantIsCappedAndPortZeroIsNotHandedOut() throws {
        let registry = SwarmRegistry(limits: .init(maxNumWant: 5, defaultNumWant: 3))
        for port in 1...20 { _ = try announce(registry, port: UInt16(port)) }
        #expect(try announce(registry, port: 1).peers4.count == 3 * 6)
        #expect(try announce(registry, port: 1, numWant: 1000).peers4.count == 5 * 6)
        #expect(try announce(registry, port: 1, numWant: 0).peers4.isEmpty)
        let passive = try announce(registry, port: 0, numWant: 5)
        #expect(passive.peers4.count == 5 * 6)
        #expect(registry.statistics().peers == 20)
    }

    /// One address may hold only so many ports in a swarm; other addresses, other swarms and
    /// the peers already stored are unaffected, and a refused peer still gets peers.
    @Test func onePeerAddressCannotFillASwarm() throws {
        let registry = SwarmRegistry(limits: .init(maxPeersPerAddress: 3))
        for port in 1...3 { #expect(try announce(registry, port: UInt16(port), event: .started).refused == nil) }
        let fourth = try announce(registry, port: 4, event: .started)
        #expect(fourth.refused?.message == "this address holds its maximum of peers in the swarm")
        #expect(ports(fourth.peers4) == [1, 2, 3])
        #expect(try announce(registry, port: 2).refused == nil, "a stored peer re-announces")
        #expect(try announce(registry, port: 9, ip: [127, 0, 0, 2]).refused == nil)
        #expect(try announce(registry, port: 4, hash: [UInt8](repeating: 0xBB, count: 20)).refused == nil)
        // Addresses on either side in sort order do not count towards each other.
        #expect(try announce(registry, port: 1, ip: [127, 0, 0, 0]).refused == nil)
        _ = try announce(registry, port: 1, event: .stopped)
        #expect(try announce(registry, port: 4).refused == nil, "room again after a peer stopped")
        // IPv6 counts per /64: other addresses in the same /64 are the same host.
        let prefix: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 7]
        let v6 = prefix + [0, 0, 0, 0, 0, 0, 0, 1]
        for port in 1...2 { #expect(try announce(registry, port: UInt16(port), ip: v6).refused == nil) }
        #expect(try announce(registry, port: 1, ip: prefix + [0xFF, 0, 0, 0, 0, 0, 0, 9]).refused == nil)
        #expect(try announce(registry, port: 4, ip: v6).refused != nil)
        #expect(try announce(registry, port: 5, ip: prefix + [0, 0, 0, 0, 0, 0, 0, 2]).refused != nil)
        #expect(try announce(registry, port: 1, ip: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 8] + [0, 0, 0, 0, 0, 0, 0, 1]).refused == nil)
        #expect(registry.statistics().peers == 3 + 1 + 1 + 1 + 3 + 1)
    }

    @Test func zeroMeansNoPerAddressLimit() throws {
        let registry = SwarmRegistry(limits: .init(maxPeersPerAddress: 0))
        for port in 1...100 { #expect(try announce(registry, port: UInt16(port)).refused == nil) }
        #expect(registry.statistics().peers == 100)
    }

    @Test func randomStartsHandOutEveryPeer() throws {
        let registry = SwarmRegistry(limits: .init(maxPeersPerAddress: 100))
        for port in 1...100 { _ = try announce(registry, port: UInt16(port)) }
        var seen = Set<UInt16>()
        for _ in 0..<200 { seen.formUnion(ports(try announce(registry, port: 1, numWant: 10).peers4)) }
        #expect(seen.count == 99)
    }

    @Test func limitsBoundMemoryAndTheAnnounceStillGetsPeers() throws {
        let registry = SwarmRegistry(limits: .init(maxTorrents: 64, maxPeersPerTorrent: 5), shardCount: 64)
        for port in 1...10 { _ = try announce(registry, port: UInt16(port)) }
        let refused = try announce(registry, port: 11)
        #expect(refused.refused?.code == .full)
        #expect(refused.peers4.count == 5 * 6)
        #expect(registry.statistics().peers == 5)
        for i in 0..<10_000 {
            var hash = [UInt8](repeating: 0, count: 20)
            withUnsafeBytes(of: UInt64(i)) { hash.replaceSubrange(0..<8, with: $0) }
            hash[19] = UInt8(i & 0xFF)
            _ = try announce(registry, port: 1, hash: hash)
        }
        #expect(registry.statistics().torrents <= 64)
    }

    /// The torrent and peer limits hold over the whole tracker, however the info-hashes fall
    /// into shards: not exceeded when small, not reached early when two torrents share a shard.
    @Test func torrentAndPeerLimitsAreTrackerWide() throws {
        func hash(_ first: UInt8, _ last: UInt8) -> [UInt8] { [first] + [UInt8](repeating: 0, count: 18) + [last] }
        let registry = SwarmRegistry(limits: .init(maxTorrents: 2, maxPeers: 3, maxPeersPerAddress: 0), shardCount: 64)
        #expect(try announce(registry, port: 1, hash: hash(1, 1)).refused == nil)
        #expect(try announce(registry, port: 1, hash: hash(2, 1)).refused == nil, "same shard, under the limit")
        #expect(try announce(registry, port: 1, hash: hash(3, 2)).refused?.message == "tracker holds its maximum of torrents")
        #expect(try announce(registry, port: 2, hash: hash(1, 1)).refused == nil)
        let fourth = try announce(registry, port: 3, hash: hash(2, 1))
        #expect(fourth.refused?.code == .full)
        #expect(fourth.peers4.count == 6, "a refused peer still gets the swarm's peers")
        #expect(registry.statistics() == .init(torrents: 2, peers: 3, seeders: 0))
        // A peer leaving makes room anywhere.
        _ = try announce(registry, port: 2, event: .stopped, hash: hash(1, 1))
        #expect(try announce(registry, port: 3, hash: hash(2, 1)).refused == nil)
        #expect(registry.statistics().peers == 3)
    }

    @Test func allowListRefusesOtherTorrents() throws {
        let registry = SwarmRegistry(allowList: [Self.hash])
        _ = try announce(registry, port: 1)
        #expect { _ = try announce(registry, port: 1, hash: [UInt8](repeating: 1, count: 20)) } throws: {
            ($0 as? TrackerError)?.code == .notAllowed
        }
    }

    @Test func allowListIsReplacedWhileServing() throws {
        let other = [UInt8](repeating: 1, count: 20)
        let registry = SwarmRegistry(allowList: [Self.hash])
        #expect(registry.hasAllowList)
        for port in 1...3 { _ = try announce(registry, port: UInt16(port)) }
        #expect(registry.statistics().peers == 3)
        // The new list drops the torrent taken off it, with its peers, and admits the new one.
        #expect(registry.replaceAllowList([other, [1, 2, 3]]) == 1)
        #expect(registry.statistics() == .init(torrents: 0, peers: 0, seeders: 0))
        #expect(registry.scrape([Self.hash])[0].incomplete == 0)
        #expect { _ = try announce(registry, port: 1) } throws: { ($0 as? TrackerError)?.code == .notAllowed }
        _ = try announce(registry, port: 4, hash: other)
        #expect(registry.statistics().peers == 1)
        // No list: every torrent is tracked again, and nothing is dropped.
        #expect(registry.replaceAllowList(nil) == 0)
        #expect(!registry.hasAllowList)
        _ = try announce(registry, port: 1)
        #expect(registry.statistics().peers == 2)
    }

    /// Lists swapped while other threads announce: the peer count the limits use stays equal
    /// to the peers actually held.
    @Test func allowListSwapsDuringAnnouncesKeepTheCountsRight() async throws {
        let hashes = (0..<64).map { i in [UInt8](repeating: UInt8(i), count: 20) }
        let registry = SwarmRegistry(allowList: hashes, shardCount: 8)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for i in 0..<2_000 {
                        let request = AnnounceRequest(infoHash: hashes[(i * 7 + worker) % 64], peerID: Array(repeating: 1, count: 20),
                                                      port: UInt16(1 + i % 500), left: 1)
                        _ = try? registry.announce(request, compactAddress: [10, 0, UInt8(worker), 1, UInt8(i >> 8), UInt8(i & 0xFF)])
                    }
                }
            }
            group.addTask {
                for round in 0..<50 { registry.replaceAllowList(Array(hashes[(round % 2 == 0 ? 0 : 32)...])) }
            }
        }
        let counted = registry.statistics().peers
        #expect(registry.expire().peers == counted)
        #expect(counted > 0)
    }

    @Test func ipv6PeersAreKeptApartAndReturnedAsPeers6() throws {
        let registry = SwarmRegistry()
        let six = [UInt8](repeating: 0x20, count: 1) + [UInt8](repeating: 0x01, count: 15)
        _ = try announce(registry, port: 7, ip: six)
        _ = try announce(registry, port: 8, ip: six)
        let reply = try announce(registry, port: 1)
        #expect(reply.peers6.count == 2 * 18)
        #expect(Set(TrackerPeer.parseCompact(reply.peers6, addressLength: 16)!.map(\.port)) == [7, 8])
        let back = try announce(registry, port: 7, ip: six)
        #expect(TrackerPeer.parseCompact(back.peers6, addressLength: 16)!.map(\.port) == [8])
        #expect(ports(back.peers4) == [1])
    }

    @Test func termsAreReturnedOnlyWhenAsked() throws {
        let registry = SwarmRegistry()
        let terms = try PaymentTerms(payee: [2] + Array(repeating: 1, count: 32), priceMillisatoshisPerMiB: 250)
        _ = try announce(registry, port: 1, left: 0, terms: terms)
        _ = try announce(registry, port: 2, left: 0)
        #expect(try announce(registry, port: 3).terms.isEmpty)
        let asked = try announce(registry, port: 3, wantsTerms: true)
        #expect(asked.terms.count == 1)
        #expect(asked.terms.first?.terms == terms)
        #expect(asked.terms.first?.compact == [127, 0, 0, 1, 0, 1])
        // Announcing without terms withdraws them.
        _ = try announce(registry, port: 1, left: 0)
        #expect(try announce(registry, port: 3, wantsTerms: true).terms.isEmpty)
    }

    @Test func silentPeersExpire() async throws {
        let registry = SwarmRegistry(peerTimeout: 1)
        _ = try announce(registry, port: 1)
        _ = try announce(registry, port: 2, left: 0)
        #expect(registry.expire().peers == 2)
        try await Task.sleep(for: .milliseconds(2300))
        _ = try announce(registry, port: 3)
        let totals = registry.expire()
        #expect(totals.peers == 1 && totals.seeders == 0 && totals.torrents == 1)
    }
}
