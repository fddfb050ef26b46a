import ArgumentParser
import Foundation
import Synchronization
import NERDNode
import NERDSwarm
import NERDWire

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Download a torrent or magnet link into DIR/<name> from BitTorrent peers.",
        discussion: """
            Exits 0 once every piece is verified. Ctrl-C stops cleanly; running it again resumes. \
            A magnet link's metadata is fetched from peers first (BEP 9) and saved as <out>/<name>.torrent.
            """)

    @Argument(help: "The .torrent file, or a magnet: link.")
    var torrent: String

    @Option(parsing: .unconditional, help: "Seconds to look for a magnet link's metadata before giving up, up to 1000000.")
    var metadataTimeout: Double = 120

    @Option(help: "The folder to download into; the content lands in <out>/<name>.")
    var out: String

    @Option(help: "Download only these files: indices as listed by `nerd info`, e.g. 0,2,5-7.")
    var only: String?

    @Option(parsing: .unconditional, help: "Give up after this many seconds without completing (exit 1), up to 100000000; default: never.")
    var timeout: Double?

    func validate() throws {
        guard metadataTimeout.isFinite, metadataTimeout > 0, metadataTimeout <= 1_000_000 else {
            throw ValidationError("--metadata-timeout must be a number of seconds above 0 and at most 1000000, got \(metadataTimeout)")
        }
        if let timeout, !(timeout.isFinite && timeout > 0 && timeout <= 100_000_000) {
            throw ValidationError("--timeout must be a number of seconds above 0 and at most 100000000, got \(timeout)")
        }
        if let only { _ = try Self.fileRanges(only) }
    }

    @Flag(help: "Keep seeding after the download completes, until interrupted.")
    var seedAfter = false

    @OptionGroup var peerOptions: PeerOptions

    @Flag(help: "Print one JSON object when done instead of progress.")
    var json = false

    func run() async throws {
        let magnet = try torrent.hasPrefix("magnet:") ? parseMagnet(torrent) : nil
        var metainfo = try magnet == nil ? loadMetainfo(torrent) : nil
        if let metainfo { try requireTransferable(metainfo) }
        let node = try peerOptions.makeNode()
        let started = Date()
        do {
            if let reason = makeFolders(out) {
                throw SwarmError(.storage, "cannot make the download folder \(out): \(reason)")
            }
            try await node.start()
            // Watched from the start: Ctrl-C while the metadata is fetched stops as cleanly as later.
            let interrupted = Interruption.watch()
            let handle: Torrent
            if let magnet {
                if !json { printToStandardError("fetching metadata for \(magnet.infoHashes.v1?.hex ?? "?")…") }
                let sources: [any PeerSource] = [StaticPeerSource(try parsePeers(peerOptions.peers))]
                let fetch = Task { [out, metadataTimeout] in
                    try await node.add(magnet: magnet, savePath: out, peerSources: sources,
                                       metadataTimeout: .milliseconds(Int64(metadataTimeout * 1000)))
                }
                let finished = Mutex(false)
                Task { _ = try? await fetch.value; finished.withLock { $0 = true } }
                while !interrupted.happened, !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
                guard finished.withLock({ $0 }) else {
                    fetch.cancel()
                    await node.shutdown()
                    let hash = magnet.infoHashes.v1?.hex ?? ""
                    if json {
                        print(JSON.object([("info_hash", .string(hash)), ("complete", .bool(false)),
                                           ("error", .string("interrupted before the metadata arrived"))]).text)
                    } else {
                        print("stopped before the metadata arrived; run the same command again to go on")
                    }
                    flushStandardOutput()
                    throw ExitCode(1)
                }
                let (added, fetched) = try await fetch.value
                handle = added
                metainfo = fetched
                try saveTorrent(fetched)
            } else {
                handle = try await node.add(metainfo: metainfo!, savePath: out)
            }
            let metainfo = metainfo!
            try peerOptions.attach(handle, in: node)
            if let only {
                do {
                    handle.selectFiles(try Self.fileIndices(only, count: metainfo.files.count))
                } catch let error as ValidationError {
                    // Known only once the torrent is read, so past the parser's own checks:
                    // said as the parser says its errors, with this command's usage.
                    printToStandardError("Error: \(error.message)\nUsage: \(Nerd.usageString(for: Get.self))\n"
                                         + "  See 'nerd get --help' for more information.")
                    await node.shutdown()
                    throw ExitCode(64)
                }
            }

            let progress = !json && isatty(STDERR_FILENO) == 1 ? TransferProgress() : nil
            var outcome = false
            var lastDraw = Date.distantPast
            // Poll rather than await completion, so Ctrl-C is noticed at once and the
            // session still shuts down cleanly (resume data saved).
            let deadline = timeout.map { Date().addingTimeInterval($0) }
            while !interrupted.happened, deadline.map({ Date() < $0 }) ?? true {
                let status = try await handle.status()
                if status.isComplete {
                    outcome = true
                    break
                }
                // A piece could not be written: more downloading would only be thrown away.
                if status.state == .error { break }
                if let progress, Date().timeIntervalSince(lastDraw) >= 0.5 {
                    progress.draw(status)
                    lastDraw = Date()
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let status = try await handle.status()
            progress?.finish(status)
            if json {
                print(TransferReport(status: status, metainfo: metainfo, seconds: Date().timeIntervalSince(started)).json.text)
            } else if outcome {
                print("downloaded \(out)/\(metainfo.name) (\(ByteCount.format(status.downloadedThisRun)) this run)")
            } else if status.state == .error {
                print("stopped at \(Int(status.progress * 100))%: \(status.error ?? "a piece could not be written")")
            } else if !interrupted.happened, let timeout {
                let peers = status.connectedPeers == 1 ? "1 peer" : "\(status.connectedPeers) peers"
                print("timed out after \(timeout.formatted()) s at \(Int(status.progress * 100))% (\(peers) connected); "
                      + "run the same command again to resume")
            } else {
                print("stopped at \(Int(status.progress * 100))%; run the same command again to resume")
            }
            flushStandardOutput()
            if outcome && seedAfter {
                if !json { print("seeding on \(node.listenAddress?.description ?? peerOptions.listen) — Ctrl-C to stop") }
                let deadline = timeout.map { Date().addingTimeInterval($0) }
            while !interrupted.happened, deadline.map({ Date() < $0 }) ?? true { try await Task.sleep(for: .milliseconds(100)) }
            }
            await node.shutdown()
            if status.state == .error {
                printToStandardError("\(SwarmError.Code.storage.rawValue): \(status.error ?? "a piece could not be written")")
            }
            if !status.isComplete { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            await node.shutdown()
            // A --json reader gets its one object even when the run stops before any transfer.
            if json, let line = failureLine(error) {
                let hash = magnet?.infoHashes.v1?.hex ?? metainfo?.infoHashes.v1?.hex ?? metainfo?.infoHashes.v2?.hex
                print(JSON.object([("info_hash", .optional(hash)), ("complete", .bool(false)), ("error", .string(line))]).text)
                flushStandardOutput()
            }
            throw failure(error)
        }
    }
}

extension Get {
    /// Writes a fetched magnet's metainfo to `<out>/<name>.torrent` so later runs (and other
    /// clients) can use the file.
    /// Every tracker is kept: the first as `announce`, all as `announce-list` tiers (BEP 12).
    /// - Throws: `SwarmError` `.storage` when the file cannot be written.
    func saveTorrent(_ metainfo: Metainfo) throws {
        var head: [(String, BencodeValue)] = []
        if let first = metainfo.trackers.first?.first {
            head = [("announce", .string(Array(first.utf8))),
                    ("announce-list", .list(metainfo.trackers.map { .list($0.map { .string(Array($0.utf8)) }) }))]
        }
        let path = out + "/" + metainfo.name + ".torrent"
        do {
            // The info dictionary goes in as received: its bytes are what the info-hash names.
            let bytes = try BencodeEncoder.encode(.dictionary(head)).dropLast() + BencodeEncoder.encode(.string(Array("info".utf8)))
                + metainfo.infoBytes + Array("e".utf8)
            // Atomic: written beside and renamed over, so a link planted at the path is replaced, not followed.
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw SwarmError(.storage, "cannot save \(path): \(systemErrorText(error))")
        }
    }

    /// The `--only` ranges as written (`0,2,5-7`), unchecked against the torrent.
    static func fileRanges(_ text: String) throws -> [ClosedRange<Int>] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { item in
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
                .map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let low = bounds.first ?? nil, let high = bounds.count == 2 ? bounds[1] : low, low >= 0, high >= low else {
                throw ValidationError("--only takes file indices like 0,2,5-7; got \(item)")
            }
            return low...high
        }
    }

    /// The files `--only` picks from a torrent of `count` files.
    static func fileIndices(_ text: String, count: Int) throws -> Set<Int> {
        var result = Set<Int>()
        for range in try fileRanges(text) {
            guard range.upperBound < count else {
                throw ValidationError("--only takes file indices below \(count) (see nerd info); got \(range.upperBound)")
            }
            result.formUnion(range)
        }
        return result
    }
}

/// The final JSON object of `nerd get --json`.
struct TransferReport {
    var status: TorrentStatus
    var metainfo: Metainfo
    var seconds: Double

    var json: JSON {
        .object([
            ("info_hash", .string(metainfo.infoHashes.v1?.hex ?? metainfo.infoHashes.v2?.hex ?? status.infoHash)),
            ("name", .string(metainfo.name)),
            ("total_size", .int(status.totalSize)),
            ("downloaded_this_run", .int(status.downloadedThisRun)),
            ("verified_at_start", .int(status.verifiedAtStart)),
            ("uploaded_this_run", .int(status.uploadedThisRun)),
            ("seconds", .double(seconds)),
            ("complete", .bool(status.isComplete)),
            ("pieces_have", .int(Int64(status.piecesHave))),
            ("num_pieces", .int(Int64(status.pieceCount))),
            ("hash_failures", .int(Int64(status.hashFailures))),
            ("error", status.state == .error ? .string("\(SwarmError.Code.storage.rawValue): \(status.error ?? "")") : .null),
            ("peers", .array(status.peers.map {
                .object([("address", .string($0.address)), ("client", .string($0.client)),
                         ("downloaded", .int($0.downloaded)), ("uploaded", .int($0.uploaded)),
                         ("encryption", .string($0.encryption.rawValue))])
            })),
        ])
    }
}

/// A live progress line on stderr: percent, rate, peers, ETA.
final class TransferProgress: Sendable {
    func draw(_ s: TorrentStatus) {
        let remaining = Double(s.totalSize - s.verifiedBytes)
        let eta = s.downloadRate > 1 ? " ETA \(Int(remaining / s.downloadRate))s" : ""
        let peers = s.connectedPeers == 1 ? "1 peer" : "\(s.connectedPeers) peers"
        printToStandardError(String(format: "\r%5.1f%%  %@/s  %@%@        ", s.progress * 100,
                                    ByteCount.format(Int64(s.downloadRate)), peers, eta), newline: false)
    }

    func finish(_ s: TorrentStatus) {
        draw(s)
        printToStandardError("")
    }
}
