/// One torrent's peers as a tracker keeps them: packed, sorted, and small.
///
/// An IPv4 peer is one `UInt64`: address (32 bits) and port (16) as the sort key, then a
/// seeder bit and a 15-bit last-announce stamp in seconds (so a peer may go unseen for at
/// most 9 hours; ``SwarmRegistry`` caps the timeout well below that). IPv6 peers are rarer
/// and use ``Peer6``. Peers are identified by address and port, not peer ID, as opentracker
/// does: a client that restarts with a new ID stays one peer.
struct SwarmPeers {
    struct Peer6: Hashable {
        var high: UInt64
        var low: UInt64
        var port: UInt16
        /// Seeder bit (0x8000) and 15-bit stamp, as for IPv4.
        var state: UInt16

        func sortsBefore(_ high: UInt64, _ low: UInt64, _ port: UInt16) -> Bool {
            (self.high, self.low, self.port) < (high, low, port)
        }
    }

    static let seederBit: UInt64 = 0x8000
    static let stampMask: UInt64 = 0x7FFF

    private(set) var peers4: [UInt64] = []
    private(set) var peers6: [Peer6] = []
    private(set) var seeders: UInt32 = 0
    /// `completed` events seen.
    var downloaded: UInt32 = 0
    /// Terms of the peers that announced them (NERD extension), by compact address.
    private(set) var terms: [[UInt8]: PaymentTerms]?

    var count: Int { peers4.count + peers6.count }
    var leechers: Int { count - Int(seeders) }
    var isEmpty: Bool { peers4.isEmpty && peers6.isEmpty }

    /// What an announce changed.
    enum Change { case added, updated, removed, unchanged, tooManyFromAddress }

    /// What ``announce(compact:seeder:event:stamp:terms:mayAdd:maxPeers:storable:wanted:withTerms:peers4:peers6:random:)`` did.
    struct Outcome {
        var change: Change
        var complete: Int
        var incomplete: Int
        var downloaded: UInt32
        var isEmpty: Bool
        var terms: [(compact: [UInt8], terms: PaymentTerms)]
    }

    /// Records an announce (unless `storable` is false) and picks up to `wanted` peers for it.
    mutating func announce(compact: [UInt8], seeder: Bool, event: AnnounceRequest.Event, stamp: UInt32, terms newTerms: PaymentTerms?,
                           mayAdd: Bool, maxPeers: Int, maxPerAddress: Int = .max, storable: Bool, wanted: Int, withTerms: Bool,
                           peers4 out4: inout [UInt8], peers6 out6: inout [UInt8], random: inout some RandomNumberGenerator) -> Outcome {
        let change = storable
            ? record(compact: compact, seeder: seeder, event: event, stamp: stamp, terms: newTerms, mayAdd: mayAdd && count < maxPeers,
                     maxPerAddress: maxPerAddress)
            : .unchanged
        var picked: [(compact: [UInt8], terms: PaymentTerms)] = []
        if wanted > 0 {
            out4.reserveCapacity(min(peers4.count, wanted) * 6)
            picked = select(limit: wanted, exclude: compact, forSeeder: seeder, withTerms: withTerms, peers4: &out4, peers6: &out6,
                            random: &random)
        }
        return Outcome(change: change, complete: Int(seeders), incomplete: leechers, downloaded: downloaded, isEmpty: isEmpty,
                       terms: picked)
    }

    /// Records an announce from `compact` (6 or 18 bytes); `stopped` removes the peer.
    /// - Parameters:
    ///   - stamp: seconds on the registry's clock (only the low 15 bits are kept).
    ///   - mayAdd: whether a new peer fits the registry's limits.
    ///   - maxPerAddress: most peers one IPv4 address (any ports) or one IPv6 /64 may have in
    ///     the swarm; a new one beyond it is not stored (``Change/tooManyFromAddress``).
    mutating func record(compact: [UInt8], seeder: Bool, event: AnnounceRequest.Event, stamp: UInt32,
                         terms newTerms: PaymentTerms?, mayAdd: Bool, maxPerAddress: Int = .max) -> Change {
        let state = (seeder ? Self.seederBit : 0) | (UInt64(stamp) & Self.stampMask)
        var change: Change
        var wasSeeder = false
        if compact.count == 6 {
            let key = Self.key4(compact)
            let index = lowerBound4(key)
            let found = index < peers4.count && peers4[index] >> 16 == key
            if found { wasSeeder = peers4[index] & Self.seederBit != 0 }
            switch (found, event) {
            case (true, .stopped):
                peers4.remove(at: index)
                change = .removed
            case (true, _):
                peers4[index] = key << 16 | state
                change = .updated
            case (false, .stopped):
                return .unchanged
            case (false, _):
                guard mayAdd else { return .unchanged }
                let address = key >> 16
                guard Self.count(in: peers4, around: index, upTo: maxPerAddress, where: { $0 >> 32 == address }) < maxPerAddress
                else { return .tooManyFromAddress }
                Self.growGently(&peers4)
                peers4.insert(key << 16 | state, at: index)
                change = .added
            }
        } else {
            let (high, low, port) = Self.key6(compact)
            let index = lowerBound6(high, low, port)
            let found = index < peers6.count && (peers6[index].high, peers6[index].low, peers6[index].port) == (high, low, port)
            if found { wasSeeder = UInt64(peers6[index].state) & Self.seederBit != 0 }
            switch (found, event) {
            case (true, .stopped):
                peers6.remove(at: index)
                change = .removed
            case (true, _):
                peers6[index].state = UInt16(state)
                change = .updated
            case (false, .stopped):
                return .unchanged
            case (false, _):
                guard mayAdd else { return .unchanged }
                // IPv6 counts per /64: one host usually holds a whole /64 and could
                // announce from as many addresses in it as it likes.
                guard Self.count(in: peers6, around: index, upTo: maxPerAddress, where: { $0.high == high }) < maxPerAddress
                else { return .tooManyFromAddress }
                Self.growGently(&peers6)
                peers6.insert(Peer6(high: high, low: low, port: port, state: UInt16(state)), at: index)
                change = .added
            }
        }
        if wasSeeder && change != .added { seeders -= 1 }
        if seeder && change != .removed { seeders += 1 }
        // Only a peer that has it all counts as a download (`left` > 0 with `completed` is a
        // broken or lying client).
        if event == .completed && seeder && !wasSeeder { downloaded &+= 1 }
        if change == .removed {
            terms?[compact] = nil
        } else if let newTerms {
            terms = terms ?? [:]
            terms![compact] = newTerms
        } else if terms?[compact] != nil {
            terms![compact] = nil
        }
        if terms?.isEmpty == true { terms = nil }
        return change
    }

    /// How many entries next to `index` (before and from it) satisfy `same`, counting at most
    /// `limit`: in a sorted array the peers of one address sit side by side.
    private static func count<T>(in array: [T], around index: Int, upTo limit: Int, where same: (T) -> Bool) -> Int {
        var found = 0
        var j = index
        while found < limit, j > 0, same(array[j - 1]) { found += 1; j -= 1 }
        j = index
        while found < limit, j < array.count, same(array[j]) { found += 1; j += 1 }
        return found
    }

    /// Appends up to `limit` compact peers other than `exclude`, starting at a random offset so
    /// every peer gets handed out; a seeder is given leechers only.
    /// - Returns: the terms of the peers written, when `withTerms`.
    func select(limit: Int, exclude: [UInt8], forSeeder: Bool, withTerms: Bool, peers4 out4: inout [UInt8],
                peers6 out6: inout [UInt8], random: inout some RandomNumberGenerator) -> [(compact: [UInt8], terms: PaymentTerms)] {
        var picked: [(compact: [UInt8], terms: PaymentTerms)] = []
        var remaining = limit
        let excluded4 = exclude.count == 6 ? Self.key4(exclude) : nil
        if !peers4.isEmpty, remaining > 0 {
            let start = Int.random(in: 0..<peers4.count, using: &random)
            var i = start
            repeat {
                let entry = peers4[i]
                if entry >> 16 != excluded4, !(forSeeder && entry & Self.seederBit != 0) {
                    let begin = out4.count
                    out4.append(UInt8(truncatingIfNeeded: entry >> 56))
                    out4.append(UInt8(truncatingIfNeeded: entry >> 48))
                    out4.append(UInt8(truncatingIfNeeded: entry >> 40))
                    out4.append(UInt8(truncatingIfNeeded: entry >> 32))
                    out4.append(UInt8(truncatingIfNeeded: entry >> 24))
                    out4.append(UInt8(truncatingIfNeeded: entry >> 16))
                    if withTerms, let terms {
                        let compact = Array(out4[begin...])
                        if let t = terms[compact] { picked.append((compact, t)) }
                    }
                    remaining -= 1
                }
                i = i + 1 == peers4.count ? 0 : i + 1
            } while i != start && remaining > 0
        }
        if !peers6.isEmpty, remaining > 0 {
            let start = Int.random(in: 0..<peers6.count, using: &random)
            var i = start
            repeat {
                let p = peers6[i]
                var compact = [UInt8]()
                compact.reserveCapacity(18)
                withUnsafeBytes(of: p.high.bigEndian) { compact.append(contentsOf: $0) }
                withUnsafeBytes(of: p.low.bigEndian) { compact.append(contentsOf: $0) }
                compact.append(UInt8(p.port >> 8))
                compact.append(UInt8(p.port & 0xFF))
                if compact != exclude, !(forSeeder && UInt64(p.state) & Self.seederBit != 0) {
                    out6.append(contentsOf: compact)
                    if withTerms, let t = terms?[compact] { picked.append((compact, t)) }
                    remaining -= 1
                }
                i = i + 1 == peers6.count ? 0 : i + 1
            } while i != start && remaining > 0
        }
        return picked
    }

    /// Drops peers not seen for more than `timeout` seconds.
    /// - Returns: how many were dropped.
    mutating func expire(now: UInt32, timeout: UInt32) -> Int {
        let before = count
        let nowStamp = UInt64(now) & Self.stampMask
        let limit = UInt64(timeout)
        func stale(_ state: UInt64) -> Bool { (nowStamp &- (state & Self.stampMask)) & Self.stampMask > limit }
        peers4.removeAll { stale($0) }
        peers6.removeAll { stale(UInt64($0.state)) }
        let dropped = before - count
        if dropped > 0 {
            seeders = UInt32(peers4.count { $0 & Self.seederBit != 0 } + peers6.count { UInt64($0.state) & Self.seederBit != 0 })
            if var t = terms {
                let alive4 = Set(peers4.map { $0 >> 16 })
                let alive6 = Set(peers6.map { [$0.high, $0.low, UInt64($0.port)] })
                t = t.filter { compact, _ in
                    if compact.count == 6 { return alive4.contains(Self.key4(compact)) }
                    let (h, l, p) = Self.key6(compact)
                    return alive6.contains([h, l, UInt64(p)])
                }
                terms = t.isEmpty ? nil : t
            }
        }
        return dropped
    }

    /// Most swarms are small: grow their arrays by a quarter rather than doubling, so a
    /// 10-peer swarm does not carry room for 16 (memory per peer is what bounds a tracker).
    private static func growGently<T>(_ array: inout [T]) {
        guard array.count == array.capacity else { return }
        array.reserveCapacity(array.count + max(2, array.count / 4))
    }

    // MARK: Keys

    static func key4(_ compact: [UInt8]) -> UInt64 {
        compact.withUnsafeBufferPointer { b in (0..<6).reduce(UInt64(0)) { $0 << 8 | UInt64(b[$1]) } }
    }

    static func key6(_ compact: [UInt8]) -> (UInt64, UInt64, UInt16) {
        compact.withUnsafeBufferPointer { b in
            let high = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[$1]) }
            let low = (8..<16).reduce(UInt64(0)) { $0 << 8 | UInt64(b[$1]) }
            return (high, low, UInt16(b[16]) << 8 | UInt16(b[17]))
        }
    }

    private func lowerBound4(_ key: UInt64) -> Int {
        var low = 0, high = peers4.count
        while low < high {
            let mid = (low + high) / 2
            if peers4[mid] >> 16 < key { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func lowerBound6(_ h: UInt64, _ l: UInt64, _ p: UInt16) -> Int {
        var low = 0, high = peers6.count
        while low < high {
            let mid = (low + high) / 2
            if peers6[mid].sortsBefore(h, l, p) { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
