/// Decides which interested peers to unchoke (tit-for-tat, as libtorrent and Transmission):
/// while downloading, the peers that send us the most; while seeding, the peers we upload
/// to fastest; plus one optimistic unchoke rotated every 30 seconds so newcomers get a chance.
struct Choker {
    struct Candidate {
        var id: ObjectIdentifier
        var interested: Bool
        var downloadRate: Double
        var uploadRate: Double
    }

    /// Regular unchoke slots.
    var slots = 4

    /// - Returns: the peers to unchoke; `optimistic` is kept if still interested.
    func unchoke(_ peers: [Candidate], seeding: Bool, optimistic: ObjectIdentifier?) -> Set<ObjectIdentifier> {
        let interested = peers.filter(\.interested)
        let ranked = interested.sorted { seeding ? $0.uploadRate > $1.uploadRate : $0.downloadRate > $1.downloadRate }
        var chosen = Set(ranked.prefix(slots).map(\.id))
        if let optimistic, interested.contains(where: { $0.id == optimistic }) { chosen.insert(optimistic) }
        return chosen
    }

    /// A new optimistic unchoke among interested peers not otherwise unchoked.
    func pickOptimistic(_ peers: [Candidate], excluding: Set<ObjectIdentifier>) -> ObjectIdentifier? {
        peers.filter { $0.interested && !excluding.contains($0.id) }.randomElement()?.id
    }
}
