import ArgumentParser
import Foundation
import NERDSwarm
import NERDWire

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a torrent's content to BitTorrent peers until interrupted.",
        discussion: "DIR holds the content as DIR/<name> (libtorrent's save path). The data is verified first.")

    @Argument(help: "The .torrent file.")
    var torrent: String

    @Option(help: "The folder that holds the content as <name>.")
    var data: String

    @Option(help: "Address to accept peers on (default 0.0.0.0:6881; port 0 picks one).")
    var listen: String = "0.0.0.0:6881"

    @Option(name: .customLong("peer"), help: "A peer to dial as well, HOST:PORT; repeatable.")
    var peers: [String] = []

    @Option(help: "Folder for resume data (default: the user's data folder).")
    var stateDir: String?

    @Option(name: .customLong("upload-limit"), help: "Upload limit in bytes per second (default: none).")
    var uploadLimit: Int?

    @Option(name: .customLong("download-limit"), help: "Download limit in bytes per second (default: none).")
    var downloadLimit: Int?

    @Flag(help: "Print one JSON line once serving: {\"ready\": true, \"listen\": \"HOST:PORT\"}.")
    var json = false

    func validate() throws {
        _ = try parsePeers(peers)
        guard PeerAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
    }

    func run() async throws {
        let metainfo = try loadMetainfo(torrent)
        try requireTransferable(metainfo)
        let content = (data.hasSuffix("/") ? String(data.dropLast()) : data) + "/" + metainfo.name
        guard FileManager.default.fileExists(atPath: content) else {
            throw failure(SwarmError(.dataMismatch, "\(content) does not exist (--data names the folder that holds \(metainfo.name))"))
        }
        let session = try makeSession(listen: listen, stateDir: stateDir)
        do {
            try await session.start()
            let handle = try await session.add(metainfo: metainfo, savePath: data)
            handle.setRateLimits(upload: uploadLimit, download: downloadLimit)
            let status = try await handle.status()
            guard status.isComplete else {
                throw SwarmError(.dataMismatch, "\(data)/\(metainfo.name) does not match the torrent "
                    + "(\(status.piecesHave) of \(status.pieceCount) pieces verified)")
            }
            let address = session.listenAddress?.description ?? listen
            if json {
                print(#"{"ready": true, "listen": "\#(address)"}"#)
            } else {
                print("seeding \(metainfo.name) on \(address) — Ctrl-C to stop")
            }
            flushStandardOutput()
            for peer in try parsePeers(peers) { session.connect(to: peer, torrent: handle) }
            await Signals.interrupted()
            let final = try await handle.status()
            if !json { print("stopped; uploaded \(ByteCount.format(final.uploadedThisRun))") }
            await session.shutdown()
        } catch {
            await session.shutdown()
            throw failure(error)
        }
    }
}
