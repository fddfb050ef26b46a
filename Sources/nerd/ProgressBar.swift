import Foundation
import Synchronization

/// A one-line progress bar on stderr, redrawn at most ten times a second. Safe to update
/// from any thread.
final class ProgressBar: Sendable {
    private let label: String
    private let state = Mutex(State())
    private struct State {
        var lastDraw = Date.distantPast
        var drawn = false
    }

    init(label: String) { self.label = label }

    func update(_ done: Int64, of total: Int64) {
        let now = Date()
        let line: String? = state.withLock { s in
            guard now.timeIntervalSince(s.lastDraw) >= 0.1 || done >= total else { return nil }
            s.lastDraw = now
            s.drawn = true
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            let width = 30
            let filled = Int(fraction * Double(width))
            return "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
                + "] \(Int(fraction * 100))% \(ByteCount.format(done)) / \(ByteCount.format(total))"
        }
        if let line { printToStandardError(line, newline: false) }
    }

    func finish() {
        if state.withLock({ $0.drawn }) { printToStandardError("") }
    }
}
