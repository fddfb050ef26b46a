import NERDWire
import NIOCore

/// Seeding: serving requests from storage through the read cache, upload limits, and BEP 6
/// suggestions of pieces already in memory.
extension Torrent {
    func serve(_ request: BlockRequest, to peer: Peer) throws(WireError) {
        let piece = Int(request.index)
        guard piece < metainfo.pieceCount, request.length > 0, request.length <= 128 * 1024,
            Int(request.begin) + Int(request.length) <= storage.layout.size(ofPiece: piece)
        else { throw WireError(.invalidMessage, "request outside piece \(request.index)") }
        let allowed = !peer.amChoking || peer.offeredFast.contains(request.index)
        guard allowed, picker.have[piece], peer.servingCount < Self.maxServing else {
            if peer.supportsFast { peer.send(.reject(request)) }
            return
        }
        guard !peer.queuedLive.contains(request), peer.inFlight[request] == nil else { return }
        peer.queued.append(request)
        peer.queuedLive.insert(request)
        pumpUploads()
    }

    /// Starts disk reads for queued requests, one peer at a time in turn, as far as the
    /// upload limits allow; the rest wait for the throttle timer.
    func pumpUploads() {
        var progress = true
        while progress {
            progress = false
            for peer in peers.values where !peer.queuedLive.isEmpty {
                guard let request = peer.queued.dropFirst(peer.queuedHead).first(where: { peer.queuedLive.contains($0) })
                else { continue }
                let size = Int(request.length)
                guard uploadLimit.take(size) else { return }
                guard sessionUploadLimit.take(size) else {
                    uploadLimit.giveBack(size)
                    return
                }
                _ = peer.popQueued()
                peer.inFlight[request] = false
                read(request, for: peer)
                progress = true
            }
        }
    }

    func read(_ request: BlockRequest, for peer: Peer) {
        guard let key = readCache.key(for: request) else {
            readDirectly(request, for: peer)
            return
        }
        if let block = readCache.block(request, in: key) {
            deliver(block, request, to: peer)
            return
        }
        if waitingReads[key] != nil {
            waitingReads[key]!.append((peer, request))
            return
        }
        waitingReads[key] = [(peer, request)]
        let storage = self.storage
        let allocator = peer.channel.allocator
        let begin = key.chunk * readCache.chunkSize
        let length = min(readCache.chunkSize, storage.layout.size(ofPiece: key.piece) - begin)
        threadPool.runIfActive(eventLoop: eventLoop) {
            try storage.read(piece: key.piece, begin: begin, length: length, allocator: allocator)
        }.whenComplete { result in
            let waiting = self.waitingReads.removeValue(forKey: key) ?? []
            guard case .success(let data?) = result else {
                // The stretch may run past a file shortened on disk while the blocks asked for
                // are still there: read each on its own before refusing it.
                self.readFailed(piece: key.piece, result)
                for (peer, request) in waiting { self.readDirectly(request, for: peer) }
                return
            }
            let evicted = self.readCache.insert(data, for: key)
            for (peer, request) in waiting {
                if let block = self.readCache.block(request, in: key) {
                    self.deliver(block, request, to: peer)
                } else {
                    self.fail(request, for: peer)
                }
            }
            self.cacheChanged(added: key, evicted: evicted, readFor: waiting.map { ObjectIdentifier($0.0) })
        }
    }

    /// A request that straddles two cached stretches: read just its bytes.
    func readDirectly(_ request: BlockRequest, for peer: Peer) {
        let storage = self.storage
        let allocator = peer.channel.allocator
        threadPool.runIfActive(eventLoop: eventLoop) {
            try storage.read(piece: Int(request.index), begin: Int(request.begin), length: Int(request.length),
                             allocator: allocator)
        }.whenComplete { result in
            guard case .success(let data?) = result else {
                self.readFailed(piece: Int(request.index), result)
                self.fail(request, for: peer)
                return
            }
            self.deliver(data, request, to: peer)
        }
    }

    /// Data that was verified cannot be read back (a file shortened, removed or unreadable
    /// since): the request is refused, and the operator told, on the 1st, 10th, 100th... failure
    /// so a seed that has lost its data does not fail in silence nor flood its log.
    func readFailed(piece: Int, _ result: Result<ByteBuffer?, Error>) {
        let reason: String
        switch result {
        case .failure(let error): reason = (error as? SwarmError)?.reason ?? "\(error)"
        case .success: reason = "the file ends before the data (shortened or removed since it was checked)"
        }
        readFailures += 1
        var mark = 1
        while mark < readFailures { mark *= 10 }
        guard mark == readFailures else { return }
        logger.warning("cannot read verified data; requests for it are refused", metadata: [
            "piece": "\(piece)", "error": "\(reason)", "failures": "\(readFailures)",
        ])
    }

    func deliver(_ data: ByteBuffer, _ request: BlockRequest, to peer: Peer) {
        guard peer.inFlight.removeValue(forKey: request) == false, peers[ObjectIdentifier(peer)] != nil else {
            pumpUploads()
            return
        }
        peer.upload.add(data.readableBytes)
        uploaded.add(data.readableBytes)
        peer.send(.piece(index: request.index, begin: request.begin, block: data), flush: false)
        peer.scheduleFlush()
    }

    func fail(_ request: BlockRequest, for peer: Peer) {
        guard peer.inFlight.removeValue(forKey: request) == false, peers[ObjectIdentifier(peer)] != nil else { return }
        if peer.supportsFast { peer.send(.reject(request)) }
    }

    /// Sets this torrent's limits in bytes per second (`nil` = unlimited).
    public func setRateLimits(upload: Int?, download: Int?) {
        eventLoop.execute {
            self.uploadLimit.rate = upload
            self.downloadLimit.rate = download
            self.startThrottleTimerIfNeeded()
        }
    }

    func startThrottleTimerIfNeeded() {
        guard throttleTimer == nil,
            uploadLimit.isLimited || downloadLimit.isLimited || sessionUploadLimit.isLimited || sessionDownloadLimit.isLimited
        else { return }
        throttleTimer = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { _ in
            self.pumpUploads()
            self.requestFromAll()
        }
    }

    // MARK: Suggestions (BEP 6)

    /// A stretch was read into the read cache for the given peers (and older ones dropped):
    /// in ``SuggestMode/readCache``, a whole piece now in memory is suggested to the other
    /// unchoked peers that lack it, if it is not a common piece; dropped pieces are forgotten.
    func cacheChanged(added key: ReadCache.Key, evicted: [ReadCache.Key], readFor requesters: [ObjectIdentifier]) {
        guard suggestMode == .readCache else { return }
        for old in evicted { suggestions.remove(UInt32(old.piece)) }
        // Pieces over the stretch size are only partly in memory: not suggested.
        let piece = key.piece
        guard key.chunk == 0, storage.layout.size(ofPiece: piece) <= readCache.chunkSize,
            suggestions.pieceRead(UInt32(piece), availability: Int(picker.availability[piece]))
        else { return }
        for peer in peers.values where !peer.amChoking && !requesters.contains(ObjectIdentifier(peer)) {
            if canSuggest(UInt32(piece), to: peer) { suggest([UInt32(piece)], to: peer) }
        }
    }

    func canSuggest(_ piece: UInt32, to peer: Peer) -> Bool {
        peer.supportsFast && peer.sentAvailability && picker.have[Int(piece)] && !peer.bitfield[Int(piece)]
            && !peer.suggestedToPeer.contains(piece)
    }

    func suggest(_ pieces: [UInt32], to peer: Peer) {
        guard !pieces.isEmpty else { return }
        // Remembered so each goes once; forgotten in bulk so the set stays small.
        if peer.suggestedToPeer.count + pieces.count > 256 { peer.suggestedToPeer.removeAll() }
        for piece in pieces {
            peer.suggestedToPeer.insert(piece)
            peer.send(.suggest(piece), flush: false)
        }
        peer.scheduleFlush()
    }
}
