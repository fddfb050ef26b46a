import NERDWire

/// Chooses which blocks to request (BEP 3 practice, as libtorrent and Transmission do):
/// finish partial pieces first, then start pieces the peer suggested (BEP 6), then the rarest
/// piece the peer has (random tie-break), and in end-game mode request blocks already requested elsewhere, at most twice each.
///
/// A plain value owned by one torrent on its event loop.
struct PiecePicker {
    struct PartialPiece {
        var received: [Bool]
        /// Outstanding requests per block (more than one only in end game).
        var requested: [UInt8]
        var receivedCount = 0
        var isComplete: Bool { receivedCount == received.count }
    }

    let layout: FileLayout
    private(set) var have: Bitfield
    /// Peers known to have each piece.
    private(set) var availability: [UInt16]
    private(set) var partial: [Int: PartialPiece] = [:]
    /// Pieces fully received and being hashed or written.
    private(set) var pending: Set<Int> = []
    static let blockSize = Int(BlockRequest.standardLength)

    /// Pieces of the files selected for download (all by default).
    private(set) var wanted: Bitfield
    /// Wanted pieces not yet verified.
    private(set) var missingWanted: Int

    /// Most pieces assembled at once; each holds a piece-sized buffer, so this bounds memory
    /// (64 MiB of piece buffers, at least 4 pieces).
    let maxPartialPieces: Int

    init(layout: FileLayout, have: Bitfield) {
        self.layout = layout
        maxPartialPieces = max(4, (64 << 20) / max(1, layout.pieceLength))
        self.have = have
        wanted = Bitfield(count: layout.pieceCount, full: true)
        missingWanted = layout.pieceCount - have.setCount
        availability = Array(repeating: 0, count: layout.pieceCount)
    }

    /// Every wanted piece is verified.
    var isComplete: Bool { missingWanted == 0 }

    /// Wants only the pieces that hold bytes of the given files (indices into the torrent's
    /// file list); `nil` wants everything.
    mutating func select(files: Set<Int>?) {
        var bits = Bitfield(count: layout.pieceCount, full: files == nil)
        if let files {
            for index in files where index >= 0 && index < layout.files.count {
                let file = layout.files[index]
                guard !file.isPadding, file.length > 0 else { continue }
                let first = Int(file.offset / Int64(layout.pieceLength))
                let last = Int((file.offset + file.length - 1) / Int64(layout.pieceLength))
                for piece in first...last { bits[piece] = true }
            }
        }
        wanted = bits
        missingWanted = (0..<layout.pieceCount).reduce(0) { $0 + (bits[$1] && !have[$1] ? 1 : 0) }
    }

    func blockCount(_ piece: Int) -> Int { (layout.size(ofPiece: piece) + Self.blockSize - 1) / Self.blockSize }

    func blockLength(_ piece: Int, _ block: Int) -> Int {
        min(Self.blockSize, layout.size(ofPiece: piece) - block * Self.blockSize)
    }

    /// Whether `peer` has any piece we still need.
    func isInteresting(_ peer: Bitfield) -> Bool {
        guard missingWanted > 0 else { return false }
        for i in 0..<have.count where peer[i] && !have[i] && wanted[i] { return true }
        return false
    }

    mutating func peerAdded(_ bits: Bitfield) {
        for i in 0..<bits.count where bits[i] { availability[i] &+= 1 }
    }

    mutating func peerRemoved(_ bits: Bitfield) {
        for i in 0..<bits.count where bits[i] && availability[i] > 0 { availability[i] -= 1 }
    }

    mutating func peerHas(_ piece: Int) { availability[piece] &+= 1 }

    /// Up to `count` blocks to request from a peer with `peerHas`, skipping what `exclude`
    /// holds (this peer's outstanding requests, any value type); `suggested` are the pieces
    /// the peer suggested, in its order.
    mutating func pick<Value>(from peerHas: Bitfield, count: Int, exclude: [BlockRequest: Value],
                              suggested: [UInt32] = [], startNewPieces: Bool = true, endGame: Bool = true) -> [BlockRequest] {
        var out: [BlockRequest] = []
        guard count > 0 else { return out }
        // 1. Partial pieces first, so pieces complete (and can be shared) soon.
        for (piece, state) in partial where peerHas[piece] {
            for block in 0..<state.received.count where !state.received[block] && state.requested[block] == 0 {
                out.append(request(piece, block))
                partial[piece]!.requested[block] += 1
                if out.count == count { return out }
            }
        }
        // 2. New pieces: those the peer suggested (it can serve them cheaply), then the
        //    rarest, random tie-break by a random starting point.
        var nothingLeftToStart = false
        if startNewPieces {
            var suggestions = suggested.makeIterator()
            while out.count < count, partial.count + pending.count < maxPartialPieces {
                var next: Int?
                while next == nil, let piece = suggestions.next() {
                    if Int(piece) < have.count, peerHas[Int(piece)], canStart(Int(piece)) { next = Int(piece) }
                }
                guard let piece = next ?? rarestNewPiece(in: peerHas) else {
                    nothingLeftToStart = true
                    break
                }
                var state = PartialPiece(received: Array(repeating: false, count: blockCount(piece)),
                                         requested: Array(repeating: 0, count: blockCount(piece)))
                for block in 0..<state.received.count where out.count < count {
                    out.append(request(piece, block))
                    state.requested[block] = 1
                }
                partial[piece] = state
            }
        }
        // 3. End game, only once every missing piece has been started (not merely because
        //    writes are backed up): ask a second peer for the blocks still outstanding.
        if !out.isEmpty || !nothingLeftToStart || !endGame { return out }
        for (piece, state) in partial where peerHas[piece] {
            for block in 0..<state.received.count where !state.received[block] && state.requested[block] < 2 {
                let r = request(piece, block)
                if exclude[r] != nil { continue }
                out.append(r)
                partial[piece]!.requested[block] += 1
                if out.count == count { return out }
            }
        }
        return out
    }

    private func rarestNewPiece(in peerHas: Bitfield) -> Int? {
        let n = have.count
        guard n > 0 else { return nil }
        let start = Int.random(in: 0..<n)
        var best: Int?
        var bestAvailability = UInt16.max
        for k in 0..<n {
            let i = (start + k) % n
            guard peerHas[i], canStart(i) else { continue }
            if availability[i] < bestAvailability {
                best = i
                bestAvailability = availability[i]
                if bestAvailability <= 1 { break }
            }
        }
        return best
    }

    /// A wanted piece that is neither verified nor being downloaded.
    func canStart(_ piece: Int) -> Bool {
        !have[piece] && wanted[piece] && partial[piece] == nil && !pending.contains(piece)
    }

    private func request(_ piece: Int, _ block: Int) -> BlockRequest {
        BlockRequest(index: UInt32(piece), begin: UInt32(block * Self.blockSize), length: UInt32(blockLength(piece, block)))
    }

    /// Whether `r` is a block of a piece being downloaded, with the exact block geometry.
    func isExpected(_ r: BlockRequest) -> Bool {
        let piece = Int(r.index)
        guard let state = partial[piece], Int(r.begin) % Self.blockSize == 0 else { return false }
        let block = Int(r.begin) / Self.blockSize
        return block < state.received.count && Int(r.length) == blockLength(piece, block)
    }

    /// Records a received block.
    /// - Returns: `nil` if the block was not needed (duplicate or unknown); otherwise whether
    ///   its piece is now complete.
    mutating func blockReceived(_ r: BlockRequest) -> Bool? {
        guard isExpected(r) else { return nil }
        let piece = Int(r.index)
        let block = Int(r.begin) / Self.blockSize
        guard var state = partial[piece], !state.received[block] else { return nil }
        state.received[block] = true
        state.receivedCount += 1
        if state.requested[block] > 0 { state.requested[block] -= 1 }
        if state.isComplete {
            partial[piece] = nil
            pending.insert(piece)
            return true
        }
        partial[piece] = state
        return false
    }

    /// A request that will not be answered (choke, reject, timeout, disconnect).
    mutating func requestDropped(_ r: BlockRequest) {
        let piece = Int(r.index)
        guard isExpected(r) else { return }
        let block = Int(r.begin) / Self.blockSize
        if partial[piece]!.requested[block] > 0 { partial[piece]!.requested[block] -= 1 }
    }

    /// The piece verified and is on disk.
    mutating func pieceVerified(_ piece: Int) {
        pending.remove(piece)
        partial[piece] = nil
        if !have[piece], wanted[piece] { missingWanted -= 1 }
        have[piece] = true
    }

    /// The piece failed its hash (or could not be written): fetch it again from scratch.
    mutating func pieceFailed(_ piece: Int) {
        pending.remove(piece)
        partial[piece] = nil
    }

    /// Bytes of verified pieces.
    var verifiedBytes: Int64 {
        have.setIndices.reduce(Int64(0)) { $0 + Int64(layout.size(ofPiece: $1)) }
    }
}
