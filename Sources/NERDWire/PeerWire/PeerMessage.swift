import NIOCore

/// A peer wire message after the handshake (BEP 3; BEP 6 fast extension; BEP 10 extended).
///
/// On the wire each is a 4-byte big-endian length, a 1-byte ID and a payload; a zero length
/// is a keep-alive. Block data in `.piece` is a slice of the receive buffer, not a copy.
public enum PeerMessage: Sendable, Equatable {
    case keepAlive
    case choke
    case unchoke
    case interested
    case notInterested
    /// Piece index.
    case have(UInt32)
    /// Raw bitfield bytes, high bit first; validate with ``Bitfield/init(wire:pieceCount:)``.
    case bitfield(ByteBuffer)
    case request(BlockRequest)
    /// A block: piece index, byte offset in the piece, data.
    case piece(index: UInt32, begin: UInt32, block: ByteBuffer)
    case cancel(BlockRequest)
    /// BEP 5: the peer's DHT UDP port.
    case port(UInt16)
    /// BEP 6.
    case suggest(UInt32)
    case haveAll
    case haveNone
    case reject(BlockRequest)
    case allowedFast(UInt32)
    /// BEP 10: extended message ID (0 = handshake) and bencoded payload plus any trailer.
    case extended(id: UInt8, payload: ByteBuffer)

    /// Message IDs (BEP 3, 5, 6, 10).
    public enum ID: UInt8, Sendable {
        case choke = 0, unchoke, interested, notInterested, have, bitfield, request, piece, cancel, port
        case suggest = 13, haveAll, haveNone, reject, allowedFast
        case extended = 20
    }

    /// Parses one message body (ID and payload, without the length prefix).
    ///
    /// - Throws: ``WireError`` `.invalidMessage` for an unknown ID or a payload of the wrong
    ///   size for its ID.
    public static func parse(_ body: ByteBuffer) throws(WireError) -> PeerMessage {
        var body = body
        guard let rawID = body.readInteger(as: UInt8.self) else { return .keepAlive }
        guard let id = ID(rawValue: rawID) else {
            throw WireError(.invalidMessage, "unknown message id \(rawID)")
        }
        let size = body.readableBytes
        func expect(_ n: Int) throws(WireError) {
            guard size == n else { throw WireError(.invalidMessage, "message \(id) has \(size) payload bytes, expected \(n)") }
        }
        switch id {
        case .choke: try expect(0); return .choke
        case .unchoke: try expect(0); return .unchoke
        case .interested: try expect(0); return .interested
        case .notInterested: try expect(0); return .notInterested
        case .haveAll: try expect(0); return .haveAll
        case .haveNone: try expect(0); return .haveNone
        case .have, .suggest, .allowedFast:
            try expect(4)
            let index = body.readInteger(as: UInt32.self)!
            return id == .have ? .have(index) : id == .suggest ? .suggest(index) : .allowedFast(index)
        case .request, .cancel, .reject:
            try expect(12)
            let r = BlockRequest(index: body.readInteger()!, begin: body.readInteger()!, length: body.readInteger()!)
            return id == .request ? .request(r) : id == .cancel ? .cancel(r) : .reject(r)
        case .port:
            try expect(2)
            return .port(body.readInteger()!)
        case .bitfield:
            return .bitfield(body)
        case .piece:
            guard size >= 8 else { throw WireError(.invalidMessage, "piece message of \(size) bytes has no header") }
            let index: UInt32 = body.readInteger()!
            let begin: UInt32 = body.readInteger()!
            return .piece(index: index, begin: begin, block: body)
        case .extended:
            guard size >= 1 else { throw WireError(.invalidMessage, "extended message without an id") }
            return .extended(id: body.readInteger()!, payload: body)
        }
    }

    /// Writes the message with its length prefix. For `.piece`, prefer
    /// ``writeHeader(into:)`` plus the block buffer to avoid copying the block.
    public func write(into buffer: inout ByteBuffer) {
        switch self {
        case .piece(_, _, let block):
            writeHeader(into: &buffer)
            var block = block
            buffer.writeBuffer(&block)
        case .bitfield(let bits):
            writeHeader(into: &buffer)
            var bits = bits
            buffer.writeBuffer(&bits)
        case .extended(_, let payload):
            writeHeader(into: &buffer)
            var payload = payload
            buffer.writeBuffer(&payload)
        default:
            writeHeader(into: &buffer)
        }
    }

    /// Writes the length prefix, ID and fixed fields; for messages with a variable payload
    /// (piece, bitfield, extended), the payload must follow.
    public func writeHeader(into buffer: inout ByteBuffer) {
        func simple(_ id: ID) {
            buffer.writeInteger(UInt32(1))
            buffer.writeInteger(id.rawValue)
        }
        func index(_ id: ID, _ i: UInt32) {
            buffer.writeInteger(UInt32(5))
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(i)
        }
        func block(_ id: ID, _ r: BlockRequest) {
            buffer.writeInteger(UInt32(13))
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(r.index)
            buffer.writeInteger(r.begin)
            buffer.writeInteger(r.length)
        }
        switch self {
        case .keepAlive: buffer.writeInteger(UInt32(0))
        case .choke: simple(.choke)
        case .unchoke: simple(.unchoke)
        case .interested: simple(.interested)
        case .notInterested: simple(.notInterested)
        case .haveAll: simple(.haveAll)
        case .haveNone: simple(.haveNone)
        case .have(let i): index(.have, i)
        case .suggest(let i): index(.suggest, i)
        case .allowedFast(let i): index(.allowedFast, i)
        case .request(let r): block(.request, r)
        case .cancel(let r): block(.cancel, r)
        case .reject(let r): block(.reject, r)
        case .port(let p):
            buffer.writeInteger(UInt32(3))
            buffer.writeInteger(ID.port.rawValue)
            buffer.writeInteger(p)
        case .bitfield(let bits):
            buffer.writeInteger(UInt32(1 + bits.readableBytes))
            buffer.writeInteger(ID.bitfield.rawValue)
        case .piece(let i, let begin, let data):
            buffer.writeInteger(UInt32(9 + data.readableBytes))
            buffer.writeInteger(ID.piece.rawValue)
            buffer.writeInteger(i)
            buffer.writeInteger(begin)
        case .extended(let id, let payload):
            buffer.writeInteger(UInt32(2 + payload.readableBytes))
            buffer.writeInteger(ID.extended.rawValue)
            buffer.writeInteger(id)
        }
    }
}

/// A block request (BEP 3): piece index, byte offset within the piece, length in bytes
/// (16 KiB except a piece's last block).
public struct BlockRequest: Sendable, Hashable {
    public var index: UInt32
    public var begin: UInt32
    public var length: UInt32

    public init(index: UInt32, begin: UInt32, length: UInt32) {
        self.index = index
        self.begin = begin
        self.length = length
    }

    /// The standard block size, 16 KiB.
    public static let standardLength: UInt32 = 16 * 1024
}
