import NERDWire
import NIOCore

/// Recently read stretches of pieces, so a peer's run of 16 KiB requests costs one disk
/// read (and one thread-pool hop) per stretch instead of one per block. Bounded in bytes;
/// the oldest stretch is dropped first. Confined to the torrent's event loop.
struct ReadCache {
    struct Key: Hashable {
        var piece: Int
        /// Index of the stretch within the piece.
        var chunk: Int
    }

    /// Bytes per stretch: a whole piece up to 1 MiB, else 1 MiB stretches.
    let chunkSize: Int
    private let capacity: Int
    private var entries: [Key: ByteBuffer] = [:]
    private var order: [Key] = []
    private var bytes = 0

    init(pieceLength: Int, capacityBytes: Int = 16 << 20) {
        chunkSize = min(pieceLength, 1 << 20)
        capacity = max(capacityBytes, 2 * chunkSize)
    }

    /// The stretch holding a request, or `nil` if the request crosses a stretch boundary.
    func key(for request: BlockRequest) -> Key? {
        let begin = Int(request.begin)
        let chunk = begin / chunkSize
        guard (begin + Int(request.length) - 1) / chunkSize == chunk else { return nil }
        return Key(piece: Int(request.index), chunk: chunk)
    }

    /// The requested block as a slice of a cached stretch (no copy).
    func block(_ request: BlockRequest, in key: Key) -> ByteBuffer? {
        guard let data = entries[key] else { return nil }
        return data.getSlice(at: Int(request.begin) - key.chunk * chunkSize, length: Int(request.length))
    }

    /// - Returns: the stretches dropped to make room, oldest first.
    @discardableResult
    mutating func insert(_ data: ByteBuffer, for key: Key) -> [Key] {
        guard entries[key] == nil else { return [] }
        entries[key] = data
        order.append(key)
        bytes += data.readableBytes
        var evicted: [Key] = []
        while bytes > capacity, !order.isEmpty {
            let oldest = order.removeFirst()
            bytes -= entries.removeValue(forKey: oldest)?.readableBytes ?? 0
            evicted.append(oldest)
        }
        return evicted
    }
}
