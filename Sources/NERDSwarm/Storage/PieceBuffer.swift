import NIOCore

/// Memory for one piece being assembled from blocks, reused from piece to piece.
///
/// Fresh memory for every piece costs a page fault and zeroing per page; a `ByteBuffer`
/// reused while the hashing thread still holds a reference would copy on write. This owns
/// its bytes outright and is handed back to the pool only after the disk work is done.
///
/// `@unchecked Sendable`: the event loop writes blocks into it, then hands it to one
/// thread-pool job and touches it again only after that job completed (the future's
/// completion orders the accesses).
final class PieceBuffer: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// Bytes of the piece in use (the last piece is shorter).
    private(set) var size: Int

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 64)
        size = 0
    }

    deinit { storage.deallocate() }

    var capacity: Int { storage.count }

    func reset(size: Int) {
        precondition(size <= storage.count, "piece larger than its buffer")
        self.size = size
    }

    /// Copies a block into place; the caller checked that it fits.
    func write(_ block: ByteBuffer, at offset: Int) {
        block.withUnsafeReadableBytes { source in
            precondition(offset + source.count <= size, "block outside the piece")
            storage.baseAddress!.advanced(by: offset).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<size]) }
}
