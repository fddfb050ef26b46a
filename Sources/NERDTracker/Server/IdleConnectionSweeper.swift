import NIOCore

/// Closes HTTP connections that stay silent, one event loop's worth, with one timer for all
/// of them. A per-connection idle timer (NIO's `IdleStateHandler`) costs a scheduled task
/// and its cancellation on every connection, which with a connection per announce is a
/// visible share of the tracker's CPU; here a connection costs a dictionary insert and
/// removal, and activity is a store of the current round number.
///
/// `@unchecked Sendable`: its state is touched only on `eventLoop` (handlers on that loop
/// and the repeated task scheduled there).
final class IdleConnectionSweeper: @unchecked Sendable {
    let eventLoop: EventLoop
    /// Rounds elapsed; a connection silent for `idleRounds` full rounds is closed.
    private(set) var round = 0
    private let idleRounds: Int
    private var connections: [ObjectIdentifier: HTTPTrackerHandler] = [:]
    private var task: RepeatedTask?

    /// - Parameters:
    ///   - timeout: how long a connection may stay silent; closed between `timeout` and
    ///     `timeout` plus one round (a quarter of `timeout`).
    init(eventLoop: EventLoop, timeout: TimeAmount) {
        self.eventLoop = eventLoop
        let roundLength = TimeAmount.nanoseconds(max(timeout.nanoseconds / 4, 1))
        idleRounds = 4
        task = eventLoop.scheduleRepeatedTask(initialDelay: roundLength, delay: roundLength) { [weak self] _ in
            self?.sweep()
        }
    }

    func add(_ handler: HTTPTrackerHandler) {
        eventLoop.preconditionInEventLoop()
        connections[ObjectIdentifier(handler)] = handler
    }

    func remove(_ handler: HTTPTrackerHandler) {
        eventLoop.preconditionInEventLoop()
        connections.removeValue(forKey: ObjectIdentifier(handler))
    }

    private func sweep() {
        round += 1
        let idle = connections.values.filter { round - $0.lastActiveRound > idleRounds }
        for handler in idle {
            remove(handler)
            handler.closeIdle()
        }
    }

    func stop() {
        task?.cancel()
        task = nil
    }
}
