import Dispatch
import Foundation
import Synchronization

/// SIGINT / SIGTERM (and SIGHUP, unless a command rereads its configuration on it) as an async
/// wait, so commands stop cleanly (resume data saved, trackers told `stopped`).
enum Signals {
    /// Returns when the process receives SIGINT or SIGTERM, or SIGHUP (a closed terminal) when
    /// no ``onHangup(_:)`` handler took it, or when the task is cancelled.
    static func interrupted() async {
        let waiter = Waiter()
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiter.set(continuation)
                install(waiter)
            }
        } onCancel: {
            waiter.resume()
        }
    }

    private static func install(_ waiter: Waiter) {
        onInterrupt { waiter.resume() }
    }

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

    /// Resumes its continuation exactly once, whichever comes first.
    private final class Waiter: Sendable {
        private let state = Mutex<(continuation: CheckedContinuation<Void, Never>?, done: Bool)>((nil, false))

        func set(_ continuation: CheckedContinuation<Void, Never>) {
            let resumeNow = state.withLock { s -> Bool in
                if s.done { return true }
                s.continuation = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }

        func resume() {
            let continuation = state.withLock { s -> CheckedContinuation<Void, Never>? in
                s.done = true
                defer { s.continuation = nil }
                return s.continuation
            }
            continuation?.resume()
        }
    }
}

/// Whether SIGINT or SIGTERM has arrived, for commands that poll.
final class Interruption: Sendable {
    private let flag = Mutex(false)

    var happened: Bool { flag.withLock { $0 } }

    /// Starts watching for the signals; watching before this returns.
    static func watch() -> Interruption {
        let interruption = Interruption()
        Signals.onInterrupt { interruption.flag.withLock { $0 = true } }
        return interruption
    }
}
