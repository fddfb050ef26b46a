/// A BEP 9 `ut_metadata` message: a bencoded dictionary, followed (for `data`) by the raw
/// 16 KiB piece of the info dictionary.
public enum MetadataMessage: Sendable, Equatable {
    /// Metadata travels in pieces of this size; only the last may be shorter.
    public static let pieceSize = 16 * 1024
    /// Largest info dictionary accepted, in bytes (also the cap on `total_size`).
    public static let maxMetadataSize = 16 << 20

    case request(piece: Int)
    case data(piece: Int, totalSize: Int, bytes: [UInt8])
    case reject(piece: Int)

    /// Parses an extension payload.
    /// - Throws: ``WireError`` `.invalidMessage` for an unknown `msg_type`, a piece index or
    ///   `total_size` out of range, or a data piece of the wrong length for its index; bencode
    ///   codes if the dictionary is malformed.
    public init(payload: [UInt8]) throws(WireError) {
        // The dictionary ends where its bencoding ends; anything after it is piece data.
        let end = try Self.dictionaryEnd(payload)
        let dictionary = try BencodeDecoder(limits: .message).decode(Array(payload[..<end]))
        guard let type = dictionary["msg_type"]?.integer, let piece = dictionary["piece"]?.integer,
              piece >= 0, piece < Int64(Self.maxMetadataSize / Self.pieceSize)
        else { throw WireError(.invalidMessage, "ut_metadata message without msg_type and piece") }
        let index = Int(piece)
        switch type {
        case 0:
            self = .request(piece: index)
        case 1:
            guard let total = dictionary["total_size"]?.integer, total > 0, total <= Int64(Self.maxMetadataSize) else {
                throw WireError(.invalidMessage, "ut_metadata data with total_size missing or over \(Self.maxMetadataSize)")
            }
            let bytes = Array(payload[end...])
            guard index < Self.pieceCount(totalSize: Int(total)), bytes.count == Self.length(ofPiece: index, totalSize: Int(total)) else {
                throw WireError(.invalidMessage, "ut_metadata piece \(index) has \(bytes.count) bytes")
            }
            self = .data(piece: index, totalSize: Int(total), bytes: bytes)
        case 2:
            self = .reject(piece: index)
        default:
            throw WireError(.invalidMessage, "ut_metadata msg_type \(type) unknown")
        }
    }

    /// The extension payload.
    public var payload: [UInt8] {
        let pairs: [(String, BencodeValue)]
        var tail: [UInt8] = []
        switch self {
        case .request(let piece): pairs = [("msg_type", .integer(0)), ("piece", .integer(piece))]
        case .reject(let piece): pairs = [("msg_type", .integer(2)), ("piece", .integer(piece))]
        case .data(let piece, let total, let bytes):
            pairs = [("msg_type", .integer(1)), ("piece", .integer(piece)), ("total_size", .integer(total))]
            tail = bytes
        }
        return ((try? BencodeEncoder.encode(.dictionary(pairs))) ?? []) + tail
    }

    /// Bytes in piece `index` of metadata of `totalSize` bytes (0 if past the end).
    public static func length(ofPiece index: Int, totalSize: Int) -> Int {
        max(0, min(pieceSize, totalSize - index * pieceSize))
    }

    /// Pieces in metadata of `totalSize` bytes.
    public static func pieceCount(totalSize: Int) -> Int { (totalSize + pieceSize - 1) / pieceSize }

    /// The offset just past a leading bencoded dictionary of flat integer and string values.
    private static func dictionaryEnd(_ payload: [UInt8]) throws(WireError) -> Int {
        guard payload.first == UInt8(ascii: "d") else { throw WireError(.invalidMessage, "ut_metadata payload is not a dictionary") }
        var i = 1
        while i < payload.count, i < 1024 {
            switch payload[i] {
            case UInt8(ascii: "e"):
                return i + 1
            case UInt8(ascii: "i"):
                guard let close = payload[i...].firstIndex(of: UInt8(ascii: "e")) else {
                    throw WireError(.invalidMessage, "ut_metadata dictionary unterminated")
                }
                i = close + 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard let colon = payload[i...].firstIndex(of: UInt8(ascii: ":")), colon - i <= 6,
                      let length = Int(String(decoding: payload[i..<colon], as: UTF8.self))
                else { throw WireError(.invalidMessage, "ut_metadata dictionary malformed") }
                i = colon + 1 + length
            default:
                throw WireError(.invalidMessage, "ut_metadata dictionary holds a nested value")
            }
        }
        throw WireError(.invalidMessage, "ut_metadata dictionary unterminated or over 1 KiB")
    }
}
