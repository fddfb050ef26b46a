import NERDCrypto
import NERDWire
import NIOCore

/// Downloading: requesting blocks, assembling pieces, hashing and writing them off the loop.
extension Torrent {
    func requestMore(_ peer: Peer) {
        guard peer.amInterested, state == .downloading else { return }
        // Choked, a fast-extension peer still serves its allowed fast pieces (BEP 6).
        var source = peer.bitfield
        if peer.peerChoking {
            guard peer.supportsFast, !peer.allowedFast.isEmpty else { return }
            source = Bitfield(count: metainfo.pieceCount)
            for index in peer.allowedFast where peer.bitfield[Int(index)] { source[Int(index)] = true }
            guard !source.isEmpty else { return }
        }
        for index in peer.rejectedPieces { source[Int(index)] = false }
        let target = peer.requestTarget
        let room = target - peer.outstanding.count
        // Refill in batches, not after every block: picking has a cost per call.
        guard room > 0, peer.outstanding.isEmpty || room >= min(16, target / 2) else { return }
        let startNew = picker.pending.count < Self.maxPendingPieces
        var allowed = room
        if downloadLimit.isLimited || sessionDownloadLimit.isLimited {
            // Requests are what a downloader controls: pace them to the limit.
            allowed = 0
            let block = Int(BlockRequest.standardLength)
            while allowed < room, downloadLimit.take(block) {
                guard sessionDownloadLimit.take(block) else {
                    downloadLimit.giveBack(block)
                    break
                }
                allowed += 1
            }
            guard allowed > 0 else { return }
        }
        let blocks = picker.pick(from: source, count: allowed, exclude: peer.outstanding, suggested: peer.suggestedByPeer,
                                 startNewPieces: startNew, endGame: !peer.snubbed)
        if !peer.suggestedByPeer.isEmpty { peer.suggestedByPeer.removeAll { !picker.canStart(Int($0)) } }
        if allowed < room || downloadLimit.isLimited || sessionDownloadLimit.isLimited {
            let unused = (allowed - blocks.count) * Int(BlockRequest.standardLength)
            downloadLimit.giveBack(unused)
            sessionDownloadLimit.giveBack(unused)
        }
        guard !blocks.isEmpty else { return }
        let now = NIODeadline.now()
        for block in blocks {
            peer.outstanding[block] = now
            peer.send(.request(block), flush: false)
        }
        peer.channel.flush()
    }

    func requestFromAll() {
        for peer in peers.values { requestMore(peer) }
    }

    func blockArrived(_ request: BlockRequest, _ block: ByteBuffer, from peer: Peer) {
        let wasOutstanding = peer.outstanding.removeValue(forKey: request) != nil
        peer.snubbed = false
        peer.download.add(block.readableBytes)
        downloaded.add(block.readableBytes)
        guard let complete = picker.blockReceived(request) else {
            // Unrequested or duplicate (end game): nothing to store.
            if wasOutstanding { requestMore(peer) }
            return
        }
        let piece = Int(request.index)
        let buffer = blockBuffers[piece] ?? pieceBuffer(size: storage.layout.size(ofPiece: piece))
        buffer.write(block, at: Int(request.begin))
        contributors[piece, default: []].insert(ObjectIdentifier(peer))
        if complete {
            blockBuffers[piece] = nil
            cancelDuplicates(of: piece)
            finishPiece(piece, buffer)
        } else {
            blockBuffers[piece] = buffer
        }
        requestMore(peer)
    }

    /// The 4 bytes of an IPv4 literal, for BEP 6.
    static func ipv4Bytes(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 && host.split(separator: ".").count == 4 ? parts : nil
    }

    /// Who a ban applies to: the host, so a new peer ID does not evade it; on loopback, where
    /// every peer shares one host, the host and peer ID.
    static func banKey(_ address: PeerAddress, _ peerID: [UInt8]) -> String {
        address.isLoopback ? address.host + "|" + Hex.encode(peerID) : address.host
    }

    /// A piece-sized buffer, reused from earlier pieces when possible: fresh memory costs a
    /// page fault and zeroing per page, which was a large share of a download's CPU.
    func pieceBuffer(size: Int) -> PieceBuffer {
        let buffer = freeBuffers.popLast() ?? PieceBuffer(capacity: metainfo.pieceLength)
        buffer.reset(size: size)
        return buffer
    }

    func recycle(_ buffer: PieceBuffer) {
        if freeBuffers.count < Self.maxPendingPieces { freeBuffers.append(buffer) }
    }

    /// Cancels end-game duplicates of a finished piece still outstanding at other peers.
    func cancelDuplicates(of piece: Int) {
        for peer in peers.values {
            for request in peer.outstanding.keys where Int(request.index) == piece {
                peer.outstanding[request] = nil
                peer.send(.cancel(request), flush: false)
            }
        }
    }

    func finishPiece(_ piece: Int, _ data: PieceBuffer) {
        let storage = self.storage
        threadPool.runIfActive(eventLoop: eventLoop) { () -> Bool in
            guard storage.verify(piece: piece, bytes: data.bytes) else { return false }
            try storage.write(piece: piece, bytes: data.bytes)
            return true
        }.whenComplete { result in
            self.recycle(data)
            switch result {
            case .success(true): self.pieceVerified(piece)
            case .success(false): self.pieceCorrupt(piece)
            case .failure(let error):
                self.picker.pieceFailed(piece)
                self.contributors[piece] = nil
                self.storageFailed(piece: piece, error)
            }
        }
    }

    /// A verified piece could not be written. Every later piece would fail the same way, so
    /// rather than download (and discard) the torrent again and again, transfers stop: peers
    /// are closed, waiters get the storage error, and the state is `.error` until ``resume()``.
    func storageFailed(piece: Int, _ error: Error) {
        let message = (error as? SwarmError)?.reason ?? "\(error)"
        self.error = message
        eventSink.yield(.error(message))
        guard state != .error, state != .stopped else { return }
        logger.error("cannot write piece; transfers stopped", metadata: ["piece": "\(piece)", "error": "\(message)"])
        state = .error
        for peer in peers.values { peer.channel.close(promise: nil) }
        saveResume()
        failWaiters(SwarmError(.storage, message))
    }

    func pieceVerified(_ piece: Int) {
        picker.pieceVerified(piece)
        eventSink.yield(.pieceVerified(index: piece))
        contributors[piece] = nil
        resumeDirty = true
        for peer in peers.values {
            if !peer.bitfield[piece] { peer.send(.have(UInt32(piece)), flush: false) }
            if peer.amInterested && !picker.isInteresting(peer.bitfield) {
                peer.amInterested = false
                peer.send(.notInterested, flush: false)
            }
            peer.channel.flush()
        }
        if picker.isComplete {
            guard picker.have.isComplete else { return downloadFinished() }
            finishFiles()
        } else {
            requestFromAll()
        }
    }

    /// Every piece is written: the files must all be there, at their lengths, before the
    /// download counts as done (``TorrentStorage/finishFiles()``, off the loop). Until it
    /// reports, the torrent stays `.downloading` and is not complete.
    func finishFiles() {
        finishingFiles = true
        state = .downloading
        let storage = self.storage
        threadPool.runIfActive(eventLoop: eventLoop) { try storage.finishFiles() }.whenComplete { result in
            self.finishingFiles = false
            guard self.state != .stopped else { return }
            switch result {
            case .success:
                self.downloadFinished()
            case .failure(let error):
                let message = (error as? SwarmError)?.reason ?? "\(error)"
                self.error = message
                self.eventSink.yield(.error(message))
                self.logger.error("the finished download's files are not right", metadata: ["error": "\(message)"])
                self.state = .error
                for peer in self.peers.values { peer.channel.close(promise: nil) }
                self.failWaiters(SwarmError(.storage, message))
            }
        }
    }

    /// Paused meanwhile, it stays paused: complete, and seeding once resumed.
    private func downloadFinished() {
        if !isHeld { state = settledState }
        eventSink.yield(.completed)
        logger.info("download complete")
        _ = saveResume()
        for peer in peers.values where peer.bitfield.isComplete { peer.channel.close(promise: nil) }
        finishWaiters()
    }

    /// A piece failed its hash: discard it, blame who sent it, ban repeat offenders.
    func pieceCorrupt(_ piece: Int) {
        hashFailures += 1
        eventSink.yield(.pieceFailed(index: piece))
        picker.pieceFailed(piece)
        let suspects = contributors.removeValue(forKey: piece) ?? []
        logger.warning("piece failed its hash check", metadata: ["piece": "\(piece)", "peers": "\(suspects.count)"])
        for id in suspects {
            guard let peer = peers[id] else { continue }
            peer.hashFailures += 1
            // A sole contributor is certainly guilty; otherwise give the benefit of the doubt once more.
            if peer.hashFailures >= Self.maxHashFailures || suspects.count == 1 && peer.hashFailures >= 1 {
                banned.insert(Self.banKey(peer.address, peer.peerID))
                logger.warning("banning peer for corrupt data", metadata: ["peer": "\(peer.address)"])
                peer.channel.close(promise: nil)
            }
        }
        requestFromAll()
    }
}
