import NERDWire
import NIOConcurrencyHelpers
import NIOCore

/// Sent down the pipeline (a user inbound event) when an MSE handshake completes, before
/// any payload byte.
public struct PeerEncryptionEstablished: Sendable, Hashable {
    /// `.plaintext` or `.rc4`: how the payload stream continues.
    public var method: MSECryptoMethods
    /// The 20-byte info-hash (SKEY) the encrypted handshake was made for; the BitTorrent
    /// handshake that follows must name the same torrent.
    public var infoHash: [UInt8]
}

/// How many encrypted handshakes a session answers per second. Each costs two 768-bit
/// modular exponentiations on the event loop, and a peer can open connections far faster
/// than that, so past the budget an incoming encrypted handshake is refused at once.
public final class MSEHandshakeBudget: @unchecked Sendable {
    private let perSecond: Double
    private let burst: Double
    private var tokens: Double
    private var last: NIODeadline
    private let lock = NIOLock()

    /// - Parameters:
    ///   - perSecond: sustained handshakes per second.
    ///   - burst: how many may come at once.
    public init(perSecond: Double = 200, burst: Double = 100) {
        self.perSecond = perSecond
        self.burst = burst
        tokens = burst
        last = .now()
    }

    /// Takes one handshake's worth. - Returns: false when the budget is spent.
    public func take() -> Bool {
        lock.withLock {
            let now = NIODeadline.now()
            tokens = min(burst, tokens + Double((now - last).nanoseconds) / 1e9 * perSecond)
            last = now
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }
}

/// Message Stream Encryption (MSE/PE) for one peer connection, placed between the socket and
/// the BitTorrent codec (``PeerWireDecoder``, ``PeerWireEncoder``).
///
/// It runs an ``MSEHandshake`` (a receiver first tells a plain BitTorrent handshake, which
/// starts with `0x13 "BitTorrent protocol"`, from an encrypted one), holding back the codec's
/// writes until the handshake ends. Then it hands over the initial payload and any bytes
/// that arrived behind the handshake, and either stays as an RC4 stream cipher (every byte
/// in and out, processed in place) or, for plaintext, removes itself from the pipeline.
///
/// Bounded: at most ``MSEHandshake/maxBufferedBytes`` unconsumed bytes are held during the
/// handshake, and a handshake not done within `timeout` closes the connection
/// (``SwarmError`` `.handshakeTimeout` goes through `errorCaught` first, like every failure:
/// ``WireError`` `.invalidEncryptionHandshake`, `.unknownInfoHash`, `.encryptionNegotiationFailed`).
public final class PeerEncryptionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public enum Role: Sendable {
        /// Dial with an encrypted handshake for the torrent with this 20-byte info-hash.
        case initiator(infoHash: [UInt8])
        /// Answer a connection; `acceptPlain` lets a plain BitTorrent handshake through
        /// untouched. `findInfoHash` maps HASH('req2', SKEY) to one of our info-hashes.
        case receiver(acceptPlain: Bool, findInfoHash: @Sendable ([UInt8]) -> [UInt8]?)
    }

    private enum Mode {
        /// Receiver: not yet known whether the peer speaks plain BitTorrent or MSE.
        case detecting
        case handshaking
        case encrypted
        case passThrough
        case failed
    }

    /// The first 20 bytes of a plain BitTorrent handshake (BEP 3).
    private static let plainPrefix: [UInt8] = [19] + Handshake.protocolName

    private var mode: Mode
    /// Made when the handshake really starts (the initiator at once, a receiver once the
    /// peer's first bytes are not a plain handshake): the key pair costs a modexp.
    private var machine: MSEHandshake?
    private let makeMachine: () -> MSEHandshake
    private let budget: MSEHandshakeBudget?
    private let acceptPlain: Bool
    private let timeout: TimeAmount
    private var timeoutTask: Scheduled<Void>?
    private var started = false
    /// Peer bytes not yet consumed by the handshake.
    private var inbound = ByteBuffer()
    /// Our writes held back until the handshake ends, in order.
    private var pending: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    private var cipher: StreamCipher?

    /// - Parameters:
    ///   - role: initiator or receiver.
    ///   - methods: offered (initiator) or accepted (receiver) stream methods.
    ///   - timeout: how long the whole handshake may take, from the connection's start.
    ///   - padding: MSE pad lengths; `.random` outside tests.
    ///   - budget: a receiver refuses an encrypted handshake when it is spent (nil: no limit).
    public init(role: Role, methods: MSECryptoMethods, timeout: TimeAmount = .seconds(15),
                padding: MSEHandshake.Padding = .random, budget: MSEHandshakeBudget? = nil) {
        self.timeout = timeout
        switch role {
        case .initiator(let infoHash):
            makeMachine = { MSEHandshake(role: .initiator(infoHash: infoHash), methods: methods, padding: padding) }
            acceptPlain = false
            mode = .handshaking
            self.budget = nil
        case .receiver(let acceptPlain, let findInfoHash):
            makeMachine = { MSEHandshake(role: .receiver(findInfoHash: findInfoHash), methods: methods, padding: padding) }
            self.acceptPlain = acceptPlain
            mode = .detecting
            self.budget = budget
        }
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        failPending(ChannelError.ioOnClosedChannel)
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        // Later writes fail at once instead of waiting in `pending` for ever.
        switch mode {
        case .detecting, .handshaking: mode = .failed
        case .encrypted, .passThrough, .failed: break
        }
        failPending(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(context: context, SwarmError(.handshakeTimeout, "no encrypted handshake within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        if case .handshaking = mode {
            var machine = makeMachine()
            let actions = machine.start()
            self.machine = machine
            perform(actions, context: context)
        }
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch mode {
        case .encrypted:
            var buffer = unwrapInboundIn(data)
            let cipher = self.cipher!
            buffer.withUnsafeMutableReadableBytes { cipher.decryptor.process($0) }
            context.fireChannelRead(wrapInboundOut(buffer))
        case .passThrough:
            context.fireChannelRead(data)
        case .failed:
            break
        case .detecting, .handshaking:
            var buffer = unwrapInboundIn(data)
            // Checked before copying: one read may be far larger than a handshake.
            guard inbound.readableBytes + buffer.readableBytes <= MSEHandshake.maxBufferedBytes + 4096 else {
                fail(context: context, WireError(.invalidEncryptionHandshake,
                                                 "more than \(MSEHandshake.maxBufferedBytes) bytes during the encrypted handshake"))
                return
            }
            inbound.writeBuffer(&buffer)
            advance(context: context)
        }
    }

    private func advance(context: ChannelHandlerContext) {
        do {
            if case .detecting = mode {
                let view = inbound.readableBytesView
                let seen = min(view.count, Self.plainPrefix.count)
                if view.prefix(seen).elementsEqual(Self.plainPrefix.prefix(seen)) {
                    guard seen == Self.plainPrefix.count else { return }
                    guard acceptPlain else {
                        throw WireError(.encryptionNegotiationFailed, "plain BitTorrent handshake refused: encryption is required")
                    }
                    finish(context: context, established: nil, initialPayload: [])
                    return
                }
                if let budget, !budget.take() {
                    throw WireError(.encryptionNegotiationFailed, "too many encrypted handshakes at once; try again later")
                }
                mode = .handshaking
                var machine = makeMachine()
                let actions = machine.start()
                self.machine = machine
                perform(actions, context: context)
            }
            guard var machine else { return }
            let actions = try machine.receive(&inbound)
            self.machine = machine
            if perform(actions, context: context) { return }
            guard inbound.readableBytes <= MSEHandshake.maxBufferedBytes else {
                throw WireError(.invalidEncryptionHandshake, "more than \(MSEHandshake.maxBufferedBytes) bytes during the encrypted handshake")
            }
            inbound.discardReadBytes()
        } catch {
            fail(context: context, error)
        }
    }

    /// Runs the handshake's actions. - Returns: whether the handshake completed.
    @discardableResult
    private func perform(_ actions: [MSEHandshake.Action], context: ChannelHandlerContext) -> Bool {
        for action in actions {
            switch action {
            case .send(let bytes):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
            case .complete(let outcome):
                if outcome.method == .rc4 { cipher = StreamCipher(encryptor: outcome.encryptor, decryptor: outcome.decryptor) }
                finish(context: context, established: outcome.method, infoHash: outcome.infoHash, initialPayload: outcome.initialPayload)
                return true
            }
        }
        return false
    }

    /// Ends the handshake: our held writes go out first, then the event and the peer's bytes
    /// go up (so nothing written in reaction to the event can overtake the held writes).
    private func finish(context: ChannelHandlerContext, established: MSECryptoMethods?, infoHash: [UInt8] = [], initialPayload: [UInt8]) {
        timeoutTask?.cancel()
        timeoutTask = nil
        mode = cipher == nil ? .passThrough : .encrypted
        let held = pending
        pending = []
        for (buffer, promise) in held { write(context: context, data: wrapOutboundOut(buffer), promise: promise) }
        context.flush()
        if let established {
            context.fireUserInboundEventTriggered(PeerEncryptionEstablished(method: established, infoHash: infoHash))
        }
        var rest = inbound
        inbound = ByteBuffer()
        if let cipher { rest.withUnsafeMutableReadableBytes { cipher.decryptor.process($0) } }
        if !initialPayload.isEmpty { context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: initialPayload))) }
        if rest.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(rest)) }
        if case .passThrough = mode { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }

    private func fail(context: ChannelHandlerContext, _ error: Error) {
        switch mode {
        case .failed, .encrypted, .passThrough: return
        case .detecting, .handshaking: break
        }
        mode = .failed
        timeoutTask?.cancel()
        inbound = ByteBuffer()
        failPending(error)
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }

    private func failPending(_ error: Error) {
        let held = pending
        pending = []
        for (_, promise) in held { promise?.fail(error) }
    }

    // MARK: Outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch mode {
        case .encrypted:
            var buffer = unwrapOutboundIn(data)
            let cipher = self.cipher!
            // Copies only if the buffer is shared (a block sent to several peers).
            buffer.withUnsafeMutableReadableBytes { cipher.encryptor.process($0) }
            context.write(wrapOutboundOut(buffer), promise: promise)
        case .passThrough:
            context.write(data, promise: promise)
        case .detecting, .handshaking:
            pending.append((unwrapOutboundIn(data), promise))
        case .failed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch mode {
        case .encrypted, .passThrough: context.flush()
        // Held writes are flushed when the handshake ends.
        case .detecting, .handshaking, .failed: break
        }
    }
}

/// The two RC4 states of an encrypted connection, shared by reference so that processing a
/// buffer mutates them in place.
private final class StreamCipher {
    var encryptor: RC4
    var decryptor: RC4

    init(encryptor: RC4, decryptor: RC4) {
        self.encryptor = encryptor
        self.decryptor = decryptor
    }
}
