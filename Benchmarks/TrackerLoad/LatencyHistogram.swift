/// Latencies in a fixed histogram, so a long run costs no memory per sample: 1 µs buckets
/// below 10 ms, 100 µs buckets up to the 2 s reply timeout (and one overflow bucket).
struct LatencyHistogram {
    private static let fineLimit: UInt64 = 10_000  // µs
    private static let coarseStep: UInt64 = 100  // µs
    private static let coarseLimit: UInt64 = 2_000_000  // µs
    private var counts = [UInt64](repeating: 0, count: Int(fineLimit + (coarseLimit - fineLimit) / coarseStep + 1))
    private(set) var total: UInt64 = 0

    mutating func record(nanoseconds: UInt64) {
        let micros = nanoseconds / 1_000
        let index: UInt64
        if micros < Self.fineLimit {
            index = micros
        } else {
            index = Self.fineLimit + (min(micros, Self.coarseLimit) - Self.fineLimit) / Self.coarseStep
        }
        counts[Int(index)] += 1
        total += 1
    }

    /// The latency in milliseconds below which `fraction` of the samples fall (bucket midpoint).
    func percentile(_ fraction: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, UInt64((Double(total) * fraction).rounded(.up)))
        var seen: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return Self.milliseconds(bucket: UInt64(index)) }
        }
        return nil
    }

    private static func milliseconds(bucket: UInt64) -> Double {
        if bucket < fineLimit { return (Double(bucket) + 0.5) / 1_000 }
        return (Double(fineLimit + (bucket - fineLimit) * coarseStep) + Double(coarseStep) / 2) / 1_000
    }
}
