/// The pieces worth suggesting to peers (BEP 6): ones recently read into the read cache whose
/// availability is at most the running mean of the availability of pieces read, newest last.
/// Bounded by `capacity`. A plain value owned by one torrent on its event loop.
struct SuggestQueue {
    private(set) var pieces: [UInt32] = []
    let capacity: Int
    /// Exponential moving mean of the availability of pieces read (about the last 30 reads).
    private var meanAvailability: Double?

    init(capacity: Int = 16) {
        self.capacity = capacity
    }

    /// A piece was read from disk while `availability` connected peers had it.
    /// - Returns: whether it is now a suggestion (it was no more common than the mean).
    @discardableResult
    mutating func pieceRead(_ piece: UInt32, availability: Int) -> Bool {
        let mean = meanAvailability ?? Double(availability)
        meanAvailability = mean + (Double(availability) - mean) / 30
        guard Double(availability) <= mean else { return false }
        pieces.removeAll { $0 == piece }
        if pieces.count >= capacity { pieces.removeFirst(pieces.count - capacity + 1) }
        pieces.append(piece)
        return true
    }

    /// The piece left memory (the read cache dropped it): no longer worth suggesting.
    mutating func remove(_ piece: UInt32) {
        pieces.removeAll { $0 == piece }
    }

    /// Up to `count` suggestions, newest first, that `isWanted` accepts.
    func candidates(count: Int, where isWanted: (UInt32) -> Bool) -> [UInt32] {
        var out: [UInt32] = []
        for piece in pieces.reversed() where isWanted(piece) {
            out.append(piece)
            if out.count == count { break }
        }
        return out
    }
}
