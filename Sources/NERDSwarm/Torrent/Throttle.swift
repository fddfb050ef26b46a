import NIOCore

/// A token bucket limiting bytes per second (upload or download, per torrent or for the
/// whole session). `nil` rate means unlimited. Confined to the session's event loop.
///
/// `@unchecked Sendable`: used only on the session's event loop, like the torrents sharing it.
public final class Throttle: @unchecked Sendable {
    /// Bytes per second; `nil` is unlimited.
    public var rate: Int? {
        didSet { tokens = min(tokens, Double(burst)) }
    }
    private var tokens: Double = 0
    private var last = NIODeadline.now()

    public init(rate: Int? = nil) {
        self.rate = rate
        tokens = Double(burst)
    }

    /// Largest burst: a quarter second of traffic, at least the largest request served
    /// (128 KiB), or a large request could never pass.
    private var burst: Int { max(128 * 1024, (rate ?? 0) / 4) }

    private func refill() {
        guard let rate else { return }
        let now = NIODeadline.now()
        tokens = min(Double(burst), tokens + Double(rate) * Double((now - last).nanoseconds) / 1e9)
        last = now
    }

    /// Whether `bytes` may pass now; if so, they are taken from the bucket.
    func take(_ bytes: Int) -> Bool {
        guard rate != nil else { return true }
        refill()
        guard tokens >= Double(bytes) else { return false }
        tokens -= Double(bytes)
        return true
    }

    /// Returns bytes taken by ``take(_:)`` that were not used after all.
    func giveBack(_ bytes: Int) {
        guard rate != nil else { return }
        tokens = min(Double(burst), tokens + Double(bytes))
    }

    var isLimited: Bool { rate != nil }
}
