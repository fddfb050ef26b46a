import NERDWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fast-resume data: which pieces were verified, and the size and modification time of each
/// file when that was recorded. Trusted only while every file still has that size and time;
/// otherwise the data is checked again. Written atomically (temporary file, fsync, rename)
/// in the state folder, never in the content folder.
struct ResumeData: Equatable {
    var pieces: [UInt8]
    var pieceCount: Int
    /// Per file in layout order: [size, mtime seconds, mtime nanoseconds]; pad files [0, 0, 0].
    var files: [[Int64]]

    static func fileFacts(_ layout: FileLayout) -> [[Int64]] {
        layout.files.map { file in
            guard !file.isPadding else { return [0, 0, 0] }
            var st = stat()
            guard stat(file.path, &st) == 0 else { return [-1, 0, 0] }
            return [Int64(st.st_size), Int64(st.st_mtim.tv_sec), Int64(st.st_mtim.tv_nsec)]
        }
    }

    var bencoded: [UInt8] {
        let value = BencodeValue.dictionary([
            ("format", .string("nerd-resume-1")),
            ("piece count", .integer(pieceCount)),
            ("pieces", .string(pieces)),
            ("files", .list(files.map { .list($0.map { .integer($0) }) })),
        ])
        return (try? BencodeEncoder.encode(value)) ?? []
    }

    init(pieces: [UInt8], pieceCount: Int, files: [[Int64]]) {
        self.pieces = pieces
        self.pieceCount = pieceCount
        self.files = files
    }

    init?(bencoded bytes: [UInt8]) {
        guard let value = try? BencodeDecoder(limits: .metainfo).decode(bytes),
            value["format"]?.utf8String == "nerd-resume-1",
            let count = value["piece count"]?.integer, let pieces = value["pieces"]?.bytes,
            let files = value["files"]?.list
        else { return nil }
        self.pieceCount = Int(count)
        self.pieces = pieces
        self.files = files.map { ($0.list ?? []).map { $0.integer ?? -2 } }
    }

    static func load(_ path: String) -> ResumeData? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[0..<n]
            if n < chunk.count || bytes.count > 64 << 20 { break }
        }
        return ResumeData(bencoded: bytes)
    }

    /// Atomic replace: a crash leaves either the old file or the new one, never a torn one.
    func save(_ path: String) throws(SwarmError) {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SwarmError(.storage, "writing \(temporary): \(TorrentStorage.lastError())") }
        let bytes = bencoded
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw SwarmError(.storage, "saving resume data to \(path): \(TorrentStorage.lastError())")
        }
    }
}
