import Dispatch
import Foundation
import Synchronization

/// SIGINT / SIGTERM (and SIGHUP, unless a command rereads its configuration on it), caught so
/// commands stop cleanly (resume data saved, trackers told `stopped`); see ``Interruption``.
enum Signals {
    /// Calls `handler` on SIGINT, SIGTERM (and SIGHUP unless ``onHangup(_:)`` took it),
    /// installed before this returns: a signal that arrives afterwards is never missed.
    static func onInterrupt(_ handler: @escaping @Sendable () -> Void) {
        let hangupStops = !hangupReloads.withLock { $0 }
        for sig in [SIGINT, SIGTERM] + (hangupStops ? [SIGHUP] : []) {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            keepAlive.withLock { $0.append(SourceBox(source: source)) }
        }
    }

    /// Calls `handler` on every SIGHUP, the usual "reread your configuration" signal of a
    /// daemon (and no longer the default, which ends the process).
    static func onHangup(_ handler: @escaping @Sendable () -> Void) {
        hangupReloads.withLock { $0 = true }
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "nerd.sighup"))
        source.setEventHandler(handler: handler)
        source.resume()
        keepAlive.withLock { $0.append(SourceBox(source: source)) }
    }

    /// Whether SIGHUP belongs to an ``onHangup(_:)`` handler rather than stopping the command.
    private static let hangupReloads = Mutex(false)

    /// Keeps signal sources alive for the life of the process.
    private static let keepAlive = Mutex<[SourceBox]>([])

    /// `@unchecked Sendable`: a dispatch source is thread-safe; it is only retained here.
    private struct SourceBox: @unchecked Sendable { let source: DispatchSourceSignal }
}

/// Whether SIGINT or SIGTERM has arrived, for commands that poll.
final class Interruption: Sendable {
    private let flag = Mutex(false)

    var happened: Bool { flag.withLock { $0 } }

    /// Returns once a signal has arrived (looked at every 50 ms).
    func wait() async {
        while !happened { try? await Task.sleep(for: .milliseconds(50)) }
    }

    /// Starts watching for the signals; watching before this returns.
    static func watch() -> Interruption {
        let interruption = Interruption()
        Signals.onInterrupt { interruption.flag.withLock { $0 = true } }
        return interruption
    }
}
