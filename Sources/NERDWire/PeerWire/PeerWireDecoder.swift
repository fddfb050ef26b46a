import NIOCore

/// What the peer wire decoder emits: first the handshake, then messages.
public enum PeerWireFrame: Sendable, Equatable {
    case handshake(Handshake)
    case message(PeerMessage)
}

/// Decodes a peer connection's byte stream (BEP 3): the 68-byte handshake, then
/// length-prefixed messages.
///
/// A length prefix above ``maxMessageLength`` is refused before any of the message is
/// buffered, so a peer cannot make the decoder hold more than one maximal message.
public struct PeerWireDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = PeerWireFrame

    private enum State: Sendable {
        case awaitingHandshake
        case messages
    }

    private var state: State
    /// Largest message body accepted (ID + payload), in bytes.
    public let maxMessageLength: Int

    /// - Parameters:
    ///   - maxMessageLength: default 1 MiB + 16 bytes: a 1 MiB bitfield or extension
    ///     message; blocks are 16 KiB.
    ///   - expectHandshake: `false` to start with messages (tests, or after a handshake
    ///     read elsewhere).
    public init(maxMessageLength: Int = (1 << 20) + 16, expectHandshake: Bool = true) {
        self.maxMessageLength = maxMessageLength
        self.state = expectHandshake ? .awaitingHandshake : .messages
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .awaitingHandshake:
            if let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), first != 19 {
                throw WireError(.invalidHandshake, "not a BitTorrent handshake (an encrypted MSE handshake, if encryption is disabled here)", offset: 0)
            }
            guard let bytes = buffer.readBytes(length: Handshake.length) else { return .needMoreData }
            context.fireChannelRead(wrapInboundOut(.handshake(try Handshake(bytes: bytes))))
            state = .messages
            return .continue
        case .messages:
            guard let frame = try Self.nextMessage(&buffer, maxMessageLength: maxMessageLength) else { return .needMoreData }
            context.fireChannelRead(wrapInboundOut(.message(frame)))
            return .continue
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }

    /// Takes one length-prefixed message off the front of `buffer`.
    ///
    /// - Returns: the message, or `nil` if `buffer` does not yet hold all of it.
    /// - Throws: ``WireError`` `.messageTooLarge` for a length above `maxMessageLength`,
    ///   `.invalidMessage` for a malformed body.
    public static func nextMessage(_ buffer: inout ByteBuffer, maxMessageLength: Int) throws(WireError) -> PeerMessage? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard Int(length) <= maxMessageLength else {
            throw WireError(.messageTooLarge, "message of \(length) bytes exceeds \(maxMessageLength)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readSlice(length: Int(length))!
        return try PeerMessage.parse(body)
    }
}
