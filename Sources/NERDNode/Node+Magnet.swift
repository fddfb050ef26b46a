import NERDDHT
import NERDSwarm
import NERDTracker
import NERDWire
import NIOConcurrencyHelpers

extension Node {
    /// Adds a torrent known only by its magnet link: finds peers through the magnet's
    /// trackers (`tr`), its peers (`x.pe`) and `peerSources`, fetches the info dictionary from
    /// them (BEP 9, checked against the info-hash), then continues as
    /// ``add(metainfo:savePath:peerSources:)`` with the magnet's trackers.
    /// - Parameter metadataTimeout: how long to look for metadata.
    /// - Returns: the torrent and its metainfo (to save as a .torrent, for instance).
    /// - Throws: ``SwarmError`` `.unsupportedTorrent` for a magnet without a v1 (`btih`) hash,
    ///   `.metadataUnavailable`, or as ``add(metainfo:savePath:peerSources:)``.
    public func add(magnet: MagnetURI, savePath: String, peerSources: [any PeerSource] = [],
                    metadataTimeout: Duration = .seconds(120)) async throws -> (Torrent, Metainfo) {
        guard let v1 = magnet.infoHashes.v1 else {
            throw SwarmError(.unsupportedTorrent, "v2-only magnet links are not supported yet (no btih hash)")
        }
        let given = magnet.peers.compactMap(PeerAddress.init)
        var sources = peerSources + (given.isEmpty ? [] : [StaticPeerSource(given)])
        if let dht { sources.append(DHTPeerSource(node: dht, announcePort: nil, interval: .seconds(5))) }
        // Each `tr` its own tier, as libtorrent reads magnets: a dead first tracker is passed over.
        let tiers = (configuration.useTrackers ? magnet.trackers.map { [$0] } : [])
            + (configuration.extraTrackers.isEmpty ? [] : [configuration.extraTrackers])
        var announcer: TrackerAnnouncer?
        if !tiers.isEmpty {
            // Before the metadata is known the size is too: announce as a leecher with 1 byte left.
            let phase = TrackerAnnouncer(
                configuration: .init(tiers: tiers, infoHash: v1.bytes, peerID: session.peerID,
                                     port: UInt16(session.listenAddress?.port ?? 0), numWant: configuration.numWant,
                                     retryDelay: configuration.trackerRetryDelay),
                client: trackerClient,
                progress: { TrackerAnnouncer.Progress(uploaded: 0, downloaded: 0, left: 1) })
            announcer = phase
            sources.append(TrackerPeerSource(announcer: phase))
        }
        let fetcher = MetadataFetcher(infoHash: v1.bytes, peerID: session.peerID,
                                      loopbackOnly: session.configuration.loopbackOnly,
                                      encryption: session.configuration.encryption)
        // The peers found while looking for the metadata are dialled again for the download,
        // rather than waiting for the download's own first DHT lookup and tracker announce.
        let found = NIOLockedValueBox<[PeerAddress]>([])
        let merged = Self.merge(sources, infoHash: v1.bytes)
        let recorded = AsyncStream<PeerAddress> { continuation in
            let task = Task {
                for await address in merged {
                    found.withLockedValue { list in
                        if list.count < Self.maxPeersCarriedOver, !list.contains(address) { list.append(address) }
                    }
                    continuation.yield(address)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        let info: [UInt8]
        do {
            info = try await fetcher.fetch(from: recorded, timeout: metadataTimeout)
        } catch {
            await announcer?.stop()
            throw error
        }
        await announcer?.stop()
        var metainfo = try Metainfo(infoDictionary: info)
        // The extra trackers are added again by add(metainfo:); keep the magnet's own here.
        metainfo.trackers = magnet.trackers.map { [$0] }
        let carried = found.withLockedValue { $0 }.filter { !given.contains($0) }
        let torrent = try await add(metainfo: metainfo, savePath: savePath,
                                    peerSources: peerSources + [StaticPeerSource(given + carried)])
        return (torrent, metainfo)
    }

    /// Most peers found in the metadata phase handed on to the download.
    static let maxPeersCarriedOver = 200

    /// One stream of every source's peers.
    static func merge(_ sources: [any PeerSource], infoHash: [UInt8]) -> AsyncStream<PeerAddress> {
        AsyncStream { continuation in
            let task = Task {
                await withTaskGroup(of: Void.self) { group in
                    for source in sources {
                        group.addTask {
                            for await address in source.peers(infoHash: infoHash) { continuation.yield(address) }
                        }
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
