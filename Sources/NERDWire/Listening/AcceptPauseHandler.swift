import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Goes first in a listening channel's pipeline and stops accepting for a while when the
/// process or the system is out of descriptors or memory (`EMFILE`, `ENFILE`, `ENOBUFS`,
/// `ENOMEM`).
///
/// The connection that could not be accepted stays in the kernel's queue, so the listening
/// socket stays readable and the event loop would retry at once, at full CPU, until a
/// descriptor frees. SwiftNIO's `AcceptBackoffHandler` does not help when the first accept of
/// a wake-up fails: the channel still counts its read as pending, so no read passes through
/// the pipeline for it to delay. Turning `autoRead` off takes the socket out of the poll set;
/// it goes back `pause` later. Connections already accepted are served meanwhile.
package final class AcceptPauseHandler: ChannelInboundHandler {
    package typealias InboundIn = NIOAny
    package typealias InboundOut = NIOAny

    private let pause: TimeAmount
    private let reportInterval: TimeAmount
    private let onPause: ((IOError) -> Void)?
    private let report: ((IOError, Int) -> Void)?
    private var resume: Scheduled<Void>?
    private var lastReport: NIODeadline?
    private var unreported = 0

    /// - Parameters:
    ///   - pause: how long accepting stops after each failure (default 1 s, as
    ///     `AcceptBackoffHandler`'s).
    ///   - reportInterval: least time between two calls of `report` (default 60 s), so a
    ///     shortage that lasts hours logs a line a minute, not one a second.
    ///   - onPause: called on the event loop at every pause (for a counter).
    ///   - report: called on the event loop at the first pause, then at most once per
    ///     `reportInterval`, with the error and the number of pauses since the last report
    ///     (for a log line).
    package init(pause: TimeAmount = .seconds(1), reportInterval: TimeAmount = .seconds(60),
                onPause: ((IOError) -> Void)? = nil, report: ((IOError, Int) -> Void)? = nil) {
        self.pause = pause
        self.reportInterval = reportInterval
        self.onPause = onPause
        self.report = report
    }

    /// Whether `error` is a shortage that passes once connections close.
    package static func isShortage(_ error: IOError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    package func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let ioError = error as? IOError, Self.isShortage(ioError) else {
            context.fireErrorCaught(error)
            return
        }
        guard resume == nil, let options = context.channel.syncOptions else { return }
        try? options.setOption(ChannelOptions.autoRead, value: false)
        resume = context.eventLoop.assumeIsolated().scheduleTask(in: pause) { [weak self] in
            self?.resume = nil
            try? options.setOption(ChannelOptions.autoRead, value: true)
        }
        onPause?(ioError)
        unreported += 1
        let now = NIODeadline.now()
        if lastReport.map({ now - $0 >= reportInterval }) ?? true {
            report?(ioError, unreported)
            lastReport = now
            unreported = 0
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
    }
}
