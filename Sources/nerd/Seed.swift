import ArgumentParser
import Foundation
import NERDNode
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

    @OptionGroup var peerOptions: PeerOptions

    @Flag(help: "Print one JSON line once serving: {\"ready\": true, \"listen\": \"HOST:PORT\", \"dht\": \"HOST:PORT\" or null}.")
    var json = false

    func run() async throws {
        let metainfo = try loadMetainfo(torrent)
        try requireTransferable(metainfo)
        let content = (data.hasSuffix("/") ? String(data.dropLast()) : data) + "/" + metainfo.name
        guard FileManager.default.fileExists(atPath: content) else {
            throw failure(SwarmError(.dataMismatch, "\(content) does not exist (--data names the folder that holds \(metainfo.name))"))
        }
        let node = try peerOptions.makeNode()
        do {
            try await node.start()
            let handle = try await node.add(metainfo: metainfo, savePath: data)
            try peerOptions.attach(handle, in: node)
            let status = try await handle.status()
            guard status.isComplete else {
                throw SwarmError(.dataMismatch, "\(data)/\(metainfo.name) does not match the torrent "
                    + "(\(status.piecesHave) of \(status.pieceCount) pieces verified)")
            }
            let address = node.listenAddress?.description ?? peerOptions.listen
            let dhtAddress = node.dht?.listenAddress?.description
            // Watched before "ready" is said: a signal sent on seeing it is never missed.
            let interruption = Interruption.watch()
            if json {
                print(JSON.object([("ready", .bool(true)), ("listen", .string(address)),
                                   ("dht", dhtAddress.map(JSON.string) ?? .null)]).text)
            } else {
                print("seeding \(metainfo.name) on \(address)\(dhtAddress.map { " (DHT on \($0))" } ?? "") — Ctrl-C to stop")
            }
            flushStandardOutput()
            await interruption.wait()
            let final = try await handle.status()
            if !json { print("stopped; uploaded \(ByteCount.format(final.uploadedThisRun))") }
            await node.shutdown()
        } catch {
            await node.shutdown()
            throw failure(error)
        }
    }
}
