import NERDCrypto
import NERDWire
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes a torrent's pieces in its files with `pread`/`pwrite`; every method
/// blocks, so callers run them on a thread pool, never on an event loop.
///
/// Files are created sparse on first write, folders as needed, never outside the save path:
/// paths come sanitised from ``Metainfo``, and files are opened for writing folder by folder
/// under the save path with `O_NOFOLLOW`, so a planted symbolic link (file or folder) cannot
/// redirect a write. Links are read through (a seeder's data may be linked in; only pieces
/// whose hash matches are ever served). Read-only files are read. Pad files are never written.
public final class TorrentStorage: Sendable {
    public let layout: FileLayout
    private let pieceHashes: [UInt8]
    /// Open files: descriptor, how many operations use it right now, and when it was last used.
    /// A descriptor is closed only while unused, so no thread ever reads or writes through a
    /// number that was closed and reused for another file.
    private struct OpenFile {
        var fd: Int32
        var users: Int
        var lastUse: UInt64
        /// Opened read-only (through a symbolic link, or without write permission): never
        /// written through.
        var readOnly = false
    }
    private struct OpenFiles {
        var files: [Int: OpenFile] = [:]
        var clock: UInt64 = 0
        var closing = false
    }
    private let descriptors = NIOLockedValueBox(OpenFiles())
    /// Open files kept at most; more are closed and reopened on demand.
    private static let maxOpenFiles = 128

    public init(layout: FileLayout, pieceHashes: [UInt8]) {
        self.layout = layout
        self.pieceHashes = pieceHashes
    }

    deinit {
        descriptors.withLockedValue { open in open.files.values.forEach { close($0.fd) } }
    }

    /// Closes every open file not in use; files in use close when their operation ends.
    public func closeAll() {
        descriptors.withLockedValue { open in
            for (index, file) in open.files where file.users == 0 {
                close(file.fd)
                open.files[index] = nil
            }
            open.closing = true
        }
    }

    /// Flushes written data of every open file to disk.
    public func syncAll() {
        let indices = descriptors.withLockedValue { Array($0.files.keys) }
        for index in indices {
            try? withDescriptor(index, create: false) { fd in _ = fsync(fd) }
        }
    }

    /// SHA-1 check of a whole piece held in memory (BEP 3).
    public func verify(piece index: Int, data: ByteBuffer) -> Bool {
        data.withUnsafeReadableBytes { verify(piece: index, bytes: $0) }
    }

    /// SHA-1 check of a whole piece in raw memory.
    public func verify(piece index: Int, bytes: UnsafeRawBufferPointer) -> Bool {
        guard index >= 0, index * 20 + 20 <= pieceHashes.count else { return false }
        return SHA1.hash(bytes)[...] == pieceHashes[index * 20..<index * 20 + 20]
    }

    /// Writes a verified piece.
    /// - Throws: ``SwarmError`` `.storage`.
    public func write(piece index: Int, data: ByteBuffer) throws(SwarmError) {
        var failure: SwarmError?
        data.withUnsafeReadableBytes { raw in
            do throws(SwarmError) { try write(piece: index, bytes: raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes a verified piece from raw memory (`bytes.count` is the piece size).
    /// - Throws: ``SwarmError`` `.storage`.
    public func write(piece index: Int, bytes raw: UnsafeRawBufferPointer) throws(SwarmError) {
        for segment in layout.segments(piece: index) {
            guard let file = segment.file else { continue }
            try withDescriptor(file, create: true) { fd throws(SwarmError) in
                var done = 0
                while done < segment.length {
                    let n = pwrite(fd, raw.baseAddress! + segment.pieceOffset + done, segment.length - done,
                                   off_t(segment.fileOffset) + off_t(done))
                    if n < 0, errno == EINTR { continue }
                    guard n > 0 else { throw SwarmError(.storage, "writing \(layout.files[file].path): \(Self.lastError())") }
                    done += n
                }
            }
        }
    }

    /// Reads bytes `begin..<begin+length` of piece `index`; padding reads as zeros.
    /// - Returns: the bytes, or `nil` if a file is missing or too short (not downloaded).
    /// - Throws: ``SwarmError`` `.storage` for other read errors.
    public func read(piece index: Int, begin: Int = 0, length: Int? = nil,
                     allocator: ByteBufferAllocator = ByteBufferAllocator()) throws(SwarmError) -> ByteBuffer? {
        let length = length ?? layout.size(ofPiece: index) - begin
        var buffer = allocator.buffer(capacity: length)
        var failure: SwarmError?
        var missing = false
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            for segment in layout.segments(piece: index, begin: begin, length: length) {
                let target = raw.baseAddress! + (segment.pieceOffset - begin)
                guard let file = segment.file else {
                    memset(target, 0, segment.length)
                    continue
                }
                do throws(SwarmError) {
                    try withDescriptor(file, create: false) { fd throws(SwarmError) in
                        var done = 0
                        while done < segment.length {
                            let n = pread(fd, target + done, segment.length - done, off_t(segment.fileOffset) + off_t(done))
                            if n < 0, errno == EINTR { continue }
                            if n == 0 {
                                missing = true
                                return
                            }
                            if n < 0 {
                                throw SwarmError(.storage, "reading \(layout.files[file].path): \(Self.lastError())")
                            }
                            done += n
                        }
                    }
                } catch {
                    if error.code == .storage, error.reason.hasPrefix("opening") { missing = true } else { failure = error }
                    return 0
                }
                if missing { return 0 }
            }
            return length
        }
        if let failure { throw failure }
        return missing ? nil : buffer
    }

    /// Reads piece `index` from disk and checks its hash; for the initial check and resume.
    public func check(piece index: Int) -> Bool {
        guard let data = try? read(piece: index) else { return false }
        return verify(piece: index, data: data)
    }

    /// Runs `body` with an open descriptor for file `index`, which stays open until it returns.
    private func withDescriptor<T>(_ index: Int, create: Bool, _ body: (Int32) throws(SwarmError) -> T) throws(SwarmError) -> T {
        let (fd, cached) = try acquire(index, create: create)
        defer { if cached { release(index) } else { close(fd) } }
        return try body(fd)
    }

    /// - Returns: the descriptor, and whether it is in the cache (else the caller closes it).
    private func acquire(_ index: Int, create: Bool) throws(SwarmError) -> (Int32, Bool) {
        let file = layout.files[index]
        let existing = descriptors.withLockedValue { open -> OpenFile? in
            guard var entry = open.files[index], !(create && entry.readOnly) else { return nil }
            open.clock += 1
            entry.users += 1
            entry.lastUse = open.clock
            open.files[index] = entry
            return entry
        }
        if let existing { return (existing.fd, true) }
        var readOnly = false
        var fd: Int32
        do {
            fd = try Self.openBeneath(layout.savePath, file.components, create: create)
        } catch {
            // Reading may follow links and make do without write permission; writing may not.
            guard !create else { throw error }
            fd = open(file.path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SwarmError(.storage, "opening \(file.path): \(Self.lastError())") }
            readOnly = true
        }
        let chosen = descriptors.withLockedValue { open -> Int32? in
            open.clock += 1
            if var entry = open.files[index], !(create && entry.readOnly) {
                // Another thread opened it meanwhile: use theirs.
                close(fd)
                entry.users += 1
                entry.lastUse = open.clock
                open.files[index] = entry
                return entry.fd
            }
            if let old = open.files[index] {
                // A read-only descriptor gives way to a writable one, unless a read holds it
                // right now (the file became writable since: rare); this write then uses its
                // descriptor once, uncached.
                guard old.users == 0 else { return nil }
                close(old.fd)
            }
            // Over the limit, close the least recently used file that nobody is using.
            if open.files.count >= Self.maxOpenFiles,
                let victim = open.files.filter({ $0.value.users == 0 }).min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                close(victim.value.fd)
                open.files[victim.key] = nil
            }
            open.files[index] = OpenFile(fd: fd, users: 1, lastUse: open.clock, readOnly: readOnly)
            return fd
        }
        guard let chosen else { return (fd, false) }
        return (chosen, true)
    }

    /// Opens `components` under `base` read-write, making folders on the way when `create`,
    /// without following a symbolic link anywhere below `base` (the folder the user chose may
    /// itself be one): a link planted in a download folder cannot send a write elsewhere.
    /// - Throws: ``SwarmError`` `.storage` naming the link or the system's reason.
    static func openBeneath(_ base: String, _ components: [String], create: Bool) throws(SwarmError) -> Int32 {
        if create, let reason = NERDWire.makeFolders(base) { throw SwarmError(.storage, "creating folder \(base): \(reason)") }
        var folder = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { throw SwarmError(.storage, "opening \(base): \(lastError())") }
        defer { close(folder) }
        var path = base
        for (depth, component) in components.enumerated() {
            path += "/" + component
            let last = depth == components.count - 1
            if !last, create, mkdirat(folder, component, 0o755) != 0, errno != EEXIST {
                throw SwarmError(.storage, "creating folder \(path): \(lastError())")
            }
            let flags = last ? O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0) : O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW
            let next = openat(folder, component, flags, 0o644)
            guard next >= 0 else {
                let reason = lastError()
                var info = stat()
                if fstatat(folder, component, &info, AT_SYMLINK_NOFOLLOW) == 0, info.st_mode & S_IFMT == S_IFLNK {
                    throw SwarmError(.storage, "\(path) is a symbolic link: NERD reads through links but never writes through them")
                }
                throw SwarmError(.storage, "opening \(path): \(reason)")
            }
            if last { return next }
            close(folder)
            folder = next
        }
        throw SwarmError(.storage, "no path for a file under \(base)")
    }

    private func release(_ index: Int) {
        descriptors.withLockedValue { open in
            guard var file = open.files[index] else { return }
            file.users -= 1
            if file.users == 0 && open.closing {
                close(file.fd)
                open.files[index] = nil
            } else {
                open.files[index] = file
            }
        }
    }

    /// Creates the torrent's empty files that are missing (they get no piece writes); files
    /// already there are left alone, so read-only data can be seeded.
    public func createEmptyFiles() throws(SwarmError) {
        for (i, file) in layout.files.enumerated() where file.length == 0 && !file.isPadding {
            var info = stat()
            if stat(file.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { continue }
            try withDescriptor(i, create: true) { _ throws(SwarmError) in }
        }
    }

    /// Once every piece is written: each file is there at exactly its length. Files longer
    /// than the torrent says (data that was there before) are cut to length, as libtorrent
    /// does.
    /// - Throws: ``SwarmError`` `.storage` when a file is gone or short (removed or truncated
    ///   while the download ran) or cannot be cut.
    public func finishFiles() throws(SwarmError) {
        for (i, file) in layout.files.enumerated() where !file.isPadding {
            var info = stat()
            guard stat(file.path, &info) == 0 else {
                throw SwarmError(.storage, "\(file.path) is gone (removed while the download ran?): \(Self.lastError())")
            }
            if Int64(info.st_size) < file.length {
                throw SwarmError(.storage, "\(file.path) holds \(info.st_size) of its \(file.length) bytes (cut while the download ran?)")
            }
            if Int64(info.st_size) > file.length {
                try withDescriptor(i, create: true) { fd throws(SwarmError) in
                    guard ftruncate(fd, off_t(file.length)) == 0 else {
                        throw SwarmError(.storage, "cutting \(file.path) to \(file.length) bytes: \(Self.lastError())")
                    }
                }
            }
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
