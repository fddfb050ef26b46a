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
public final class AcceptPauseHandler: ChannelInboundHandler {
    public typealias InboundIn = NIOAny
    public typealias InboundOut = NIOAny

    private let pause: TimeAmount
    private let onPause: ((IOError) -> Void)?
    private var resume: Scheduled<Void>?

    /// - Parameters:
    ///   - pause: how long accepting stops after each failure (default 1 s, as
    ///     `AcceptBackoffHandler`'s).
    ///   - onPause: called on the event loop when accepting stops, to log it.
    public init(pause: TimeAmount = .seconds(1), onPause: ((IOError) -> Void)? = nil) {
        self.pause = pause
        self.onPause = onPause
    }

    /// Whether `error` is a shortage that passes once connections close.
    public static func isShortage(_ error: IOError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
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
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
    }
}
