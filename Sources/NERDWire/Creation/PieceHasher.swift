import Dispatch
import NERDCrypto
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What hashing the content produced.
struct ContentHashes {
    /// v1: 20-byte SHA-1 per piece, concatenated.
    var v1Pieces: [UInt8]
    /// v2: per content file, its pieces root (empty for empty files).
    var fileRoots: [[UInt8]]
    /// v2: per content file, its piece layer (concatenated 32-byte hashes; empty when the
    /// file fits in one piece).
    var pieceLayers: [[UInt8]]
}

/// Hashes a ``PieceSpace`` on several threads: each thread reads whole batches of pieces with
/// `pread` into its own buffer and hashes them, so memory stays at one batch per thread.
struct PieceHasher {
    let space: PieceSpace
    let v1: Bool
    let v2: Bool
    let threads: Int
    let progress: (@Sendable (Int64, Int64) -> Void)?

    /// Bytes read at a time: small enough to still be in cache when they are hashed.
    static let chunkSize = 256 * 1024

    /// Pieces per batch: about 1 MiB of pieces, or one piece when pieces are streamed.
    private var batchPieces: Int { !v2 && space.pieceLength > Self.chunkSize ? 1 : max(1, (1 << 20) / space.pieceLength) }

    func run() throws(WireError) -> ContentHashes {
        let pieceCount = space.pieceCount
        let batches = (pieceCount + batchPieces - 1) / batchPieces
        let results = HashResults(pieces: pieceCount)
        let files = try OpenFiles(space.entries)
        defer { files.closeAll() }
        let hashed = Atomic<Int64>(0)
        let failure = Mutex<WireError?>(nil)

        DispatchQueue.concurrentPerform(iterations: min(threads, max(1, batches))) { worker in
            let streaming = !v2 && space.pieceLength > Self.chunkSize
            let buffer = UnsafeMutableRawBufferPointer.allocate(
                byteCount: streaming ? Self.chunkSize : batchPieces * space.pieceLength, alignment: 4096)
            defer { buffer.deallocate() }
            var batch = worker
            let stride = min(threads, max(1, batches))
            while batch < batches {
                if failure.withLock({ $0 != nil }) { return }
                if streaming {
                    // Large v1 pieces: stream each through a cache-sized buffer.
                    let piece = batch
                    let start = Int64(piece) * Int64(space.pieceLength)
                    let end = min(space.size, start + Int64(space.pieceLength))
                    var hasher = StreamingDigest(.sha1)
                    var offset = start
                    while offset < end {
                        let chunkEnd = min(end, offset + Int64(Self.chunkSize))
                        let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<Int(chunkEnd - offset)])
                        do throws(WireError) {
                            try files.read(offset..<chunkEnd, into: chunk)
                        } catch {
                            failure.withLock { $0 = $0 ?? error }
                            return
                        }
                        hasher.update(UnsafeRawBufferPointer(chunk))
                        offset = chunkEnd
                    }
                    results.setV1(piece, hasher.finalize())
                    let total = hashed.add(end - start, ordering: .relaxed).newValue
                    progress?(total, space.size)
                    batch += stride
                    continue
                }
                let first = batch * batchPieces
                let last = min(pieceCount, first + batchPieces)
                let start = Int64(first) * Int64(space.pieceLength)
                let end = min(space.size, Int64(last) * Int64(space.pieceLength))
                do throws(WireError) {
                    try files.read(start..<end, into: buffer)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
                for piece in first..<last {
                    let pieceStart = Int64(piece) * Int64(space.pieceLength)
                    let pieceEnd = min(space.size, pieceStart + Int64(space.pieceLength))
                    let bytes = UnsafeRawBufferPointer(rebasing: buffer[Int(pieceStart - start)..<Int(pieceEnd - start)])
                    if v1 { results.setV1(piece, SHA1.hash(bytes)) }
                    if v2 { results.setV2(piece, v2PieceHash(piece: piece, start: pieceStart, bytes: bytes)) }
                }
                let total = hashed.add(end - start, ordering: .relaxed).newValue
                progress?(total, space.size)
                batch += stride
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return assemble(results)
    }

    /// The 32-byte v2 hash of one piece: the merkle root of its 16 KiB blocks, padded with
    /// zero leaves to a full piece, or to the next power of two when the file is one piece.
    private func v2PieceHash(piece: Int, start: Int64, bytes: UnsafeRawBufferPointer) -> [UInt8] {
        guard let entry = space.entry(containing: start), !entry.isPad else { return [] }
        let dataEnd = min(bytes.count, Int(entry.offset + entry.length - start))
        var leaves: [[UInt8]] = []
        var offset = 0
        while offset < dataEnd {
            let blockEnd = min(dataEnd, offset + MerkleTree.blockSize)
            leaves.append(SHA256.hash(UnsafeRawBufferPointer(rebasing: bytes[offset..<blockEnd])))
            offset = blockEnd
        }
        let zero = [UInt8](repeating: 0, count: 32)
        let fitsInOnePiece = entry.length <= Int64(space.pieceLength)
        return MerkleTree.root(of: leaves, padding: zero,
                               minimumWidth: fitsInOnePiece ? 1 : space.pieceLength / MerkleTree.blockSize)
    }

    private func assemble(_ results: HashResults) -> ContentHashes {
        var hashes = ContentHashes(v1Pieces: v1 ? results.v1Bytes() : [], fileRoots: [], pieceLayers: [])
        guard v2 else { return hashes }
        let fileCount = (space.entries.compactMap(\.fileIndex).max() ?? -1) + 1
        hashes.fileRoots = Array(repeating: [], count: fileCount)
        hashes.pieceLayers = Array(repeating: [], count: fileCount)
        let pl = Int64(space.pieceLength)
        let padding = MerkleTree.zeroRoot(height: (space.pieceLength / MerkleTree.blockSize).trailingZeroBitCount)
        for entry in space.entries {
            guard let index = entry.fileIndex, entry.length > 0 else { continue }
            let firstPiece = Int(entry.offset / pl)
            let lastPiece = Int((entry.offset + entry.length - 1) / pl)
            let pieceHashes = (firstPiece...lastPiece).map { results.v2($0) }
            if firstPiece == lastPiece {
                hashes.fileRoots[index] = pieceHashes[0]
            } else {
                hashes.fileRoots[index] = MerkleTree.root(of: pieceHashes, padding: padding)
                hashes.pieceLayers[index] = pieceHashes.flatMap { $0 }
            }
        }
        return hashes
    }
}

extension PieceSpace {
    /// The entry holding byte `offset` (skipping empty files).
    func entry(containing offset: Int64) -> Entry? {
        var low = 0
        var high = entries.count - 1
        var found: Entry?
        while low <= high {
            let mid = (low + high) / 2
            if entries[mid].offset <= offset {
                if entries[mid].length > 0, offset < entries[mid].offset + entries[mid].length { found = entries[mid] }
                low = mid + 1
            } else {
                high = mid - 1
            }
        }
        return found
    }
}

/// Per-piece results written by several threads at disjoint indices.
///
/// `@unchecked Sendable`: each piece index is written by exactly one thread (batches are
/// disjoint) into memory allocated up front, never through a Swift collection that could be
/// reallocated or checked for exclusive access; reads happen only after `concurrentPerform`
/// returns, which orders them after every write.
private final class HashResults: @unchecked Sendable {
    private let v1Storage: UnsafeMutableBufferPointer<UInt8>
    private let v2Storage: UnsafeMutableBufferPointer<[UInt8]>

    init(pieces: Int) {
        v1Storage = .allocate(capacity: pieces * 20)
        v1Storage.initialize(repeating: 0)
        v2Storage = .allocate(capacity: pieces)
        v2Storage.initialize(repeating: [])
    }

    deinit {
        v1Storage.deallocate()
        v2Storage.deinitialize()
        v2Storage.deallocate()
    }

    func setV1(_ piece: Int, _ hash: [UInt8]) {
        for i in 0..<20 { v1Storage[piece * 20 + i] = hash[i] }
    }

    func setV2(_ piece: Int, _ hash: [UInt8]) { v2Storage[piece] = hash }

    func v2(_ piece: Int) -> [UInt8] { v2Storage[piece] }

    func v1Bytes() -> [UInt8] { Array(v1Storage) }
}

/// File descriptors for every content file, read with `pread` from any thread.
private struct OpenFiles: Sendable {
    let space: [PieceSpace.Entry]
    let descriptors: [Int32]

    init(_ entries: [PieceSpace.Entry]) throws(WireError) {
        var fds: [Int32] = []
        for entry in entries {
            guard let location = entry.location, entry.length > 0 else {
                fds.append(-1)
                continue
            }
            let fd = open(location, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                fds.forEach { if $0 >= 0 { close($0) } }
                throw WireError(.ioError, "cannot open \(location): \(String(cString: strerror(errno)))")
            }
            fds.append(fd)
        }
        space = entries
        descriptors = fds
    }

    func closeAll() { descriptors.forEach { if $0 >= 0 { close($0) } } }

    /// Fills `buffer` with the piece-space bytes in `range`; pad files read as zeros.
    func read(_ range: Range<Int64>, into buffer: UnsafeMutableRawBufferPointer) throws(WireError) {
        for (index, entry) in space.enumerated() where entry.length > 0 {
            let lo = max(range.lowerBound, entry.offset)
            let hi = min(range.upperBound, entry.offset + entry.length)
            guard lo < hi else { continue }
            var target = Int(lo - range.lowerBound)
            let end = Int(hi - range.lowerBound)
            if entry.isPad {
                memset(buffer.baseAddress! + target, 0, end - target)
                continue
            }
            var fileOffset = lo - entry.offset
            while target < end {
                let n = pread(descriptors[index], buffer.baseAddress! + target, end - target, off_t(fileOffset))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    throw WireError(.ioError, n == 0
                        ? "\(entry.location ?? "file") shrank while hashing"
                        : "reading \(entry.location ?? "file"): \(String(cString: strerror(errno)))")
                }
                target += n
                fileOffset += Int64(n)
            }
        }
    }
}
