import NIOCore

/// A byte rate averaged over the last few seconds (exponential decay per one-second tick).
struct RateMeter {
    private var accumulated: Int64 = 0
    /// Bytes per second.
    private(set) var rate: Double = 0
    private(set) var total: Int64 = 0

    mutating func add(_ bytes: Int) {
        accumulated += Int64(bytes)
        total += Int64(bytes)
    }

    /// Call once a second.
    mutating func tick() {
        rate = rate * 0.6 + Double(accumulated) * 0.4
        accumulated = 0
    }
}
