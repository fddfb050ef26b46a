import Foundation
import NERDSwarm
import NERDTracker
import NERDWire

/// The embedded demo behind `nerd quickstart`: makes (or takes) content, starts a tracker,
/// creates a torrent announcing to it, seeds it from one node and downloads it with a second
/// that finds the seed through the tracker, over real loopback TCP, then checks the copy
/// byte for byte. Nothing leaves the machine (loopback-only guard on).
public enum Quickstart {
    public struct Result: Sendable {
        public var torrentPath: String
        public var sourcePath: String
        public var downloadedPath: String
        public var infoHash: String
        public var totalSize: Int64
        public var seconds: Double
        /// The embedded tracker's announce URL.
        public var tracker: String
        /// Every file of the copy equals its source.
        public var identical: Bool
    }

    /// Size of the sample file made when no content is given, in bytes.
    public static let sampleSize = 64 << 20

    /// - Parameters:
    ///   - content: a file or folder to share; `nil` makes a 64 MiB random sample.
    ///   - workDirectory: where the sample, torrent and download go (created).
    ///   - progress: called about twice a second with the downloader's status.
    /// - Throws: ``SwarmError``, ``WireError``, or a file-system error.
    public static func run(content: String?, workDirectory: String,
                           progress: @escaping @Sendable (TorrentStatus) -> Void = { _ in }) async throws -> Result {
        let fm = FileManager.default
        try fm.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let source: String
        if let content {
            source = content
        } else {
            let dir = workDirectory + "/seed"
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
            source = dir + "/nerd-sample.bin"
            if !fm.fileExists(atPath: source) { try makeSample(at: source, size: sampleSize) }
        }
        let absolute = URL(fileURLWithPath: source).standardizedFileURL
        let downloadsFolder = URL(fileURLWithPath: workDirectory + "/download").standardizedFileURL.path
        guard !(absolute.path + "/").hasPrefix(downloadsFolder + "/") else {
            throw SwarmError(.storage, "\(absolute.path) is inside the quickstart's download folder; share something else")
        }
        let savePath = absolute.deletingLastPathComponent().path
        // A short interval lets whichever node announces first learn of the other within seconds.
        let tracker = TrackerServer(configuration: .init(http: ("127.0.0.1", 0), udp: ("127.0.0.1", 0), interval: 2,
                                                         loopbackOnly: true, threads: 1))
        try await tracker.start()
        let trackerURL = "http://\(tracker.httpAddress ?? "127.0.0.1:0")/announce"
        var options = TorrentCreator.Options()
        options.trackers = [[trackerURL], ["udp://\(tracker.udpAddress ?? "127.0.0.1:0")/announce"]]
        options.creationDate = Int64(Date().timeIntervalSince1970)
        let torrentBytes: [UInt8]
        do { torrentBytes = try TorrentCreator.create(from: absolute.path, options: options) } catch {
            await tracker.shutdown()
            throw error
        }
        let metainfo = try Metainfo(bytes: torrentBytes)
        let torrentPath = workDirectory + "/" + metainfo.name + ".torrent"
        try Data(torrentBytes).write(to: URL(fileURLWithPath: torrentPath))

        let downloads = workDirectory + "/download"
        try? fm.removeItem(atPath: downloads + "/" + metainfo.name)
        let loopback = PeerAddress(host: "127.0.0.1", port: 0)
        let seeder = Node(configuration: .init(listen: loopback, loopbackOnly: true))
        let leecher = Node(configuration: .init(listen: loopback, loopbackOnly: true))
        let started = Date()
        do {
            try await seeder.start()
            try await leecher.start()
            let seed = try await seeder.add(metainfo: metainfo, savePath: savePath)
            guard try await seed.status().isComplete else {
                throw SwarmError(.dataMismatch, "\(absolute.path) changed while its torrent was made")
            }
            let download = try await leecher.add(metainfo: metainfo, savePath: downloads)
            let reporter = Task {
                while !Task.isCancelled {
                    if let status = try? await download.status() { progress(status) }
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            try await download.waitUntilComplete()
            reporter.cancel()
            progress(try await download.status())
        } catch {
            await leecher.shutdown()
            await seeder.shutdown()
            await tracker.shutdown()
            throw error
        }
        await leecher.shutdown()
        await seeder.shutdown()
        await tracker.shutdown()
        let seconds = Date().timeIntervalSince(started)
        let identical = metainfo.files.filter { !$0.isPadFile }.allSatisfy {
            fm.contentsEqual(atPath: savePath + "/" + $0.pathString, andPath: downloads + "/" + $0.pathString)
        }
        return Result(torrentPath: torrentPath, sourcePath: absolute.path, downloadedPath: downloads + "/" + metainfo.name,
                      infoHash: metainfo.infoHashes.v1?.hex ?? "", totalSize: metainfo.totalSize, seconds: seconds,
                      tracker: trackerURL, identical: identical)
    }

    private static func makeSample(at path: String, size: Int) throws {
        guard let handle = FileHandle(forWritingAtPath: path) ?? {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }() else { throw CocoaError(.fileWriteUnknown) }
        defer { try? handle.close() }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<(size >> 20) {
            for i in stride(from: 0, to: chunk.count, by: 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                withUnsafeBytes(of: state) { chunk.replaceSubrange(i..<i + 8, with: $0) }
            }
            try handle.write(contentsOf: chunk)
        }
    }
}
