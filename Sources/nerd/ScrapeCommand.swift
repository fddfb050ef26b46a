import ArgumentParser
import Foundation
import NERDCrypto
import NERDTracker
import NERDWire

struct ScrapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scrape",
        abstract: "Ask a torrent's trackers how many seeders and leechers it has.",
        discussion: "Scrapes every tracker of the torrent (HTTP by BEP 48, UDP by BEP 15), or only --tracker URLs if given.")

    @Argument(help: "The .torrent file.")
    var torrent: String

    @Option(name: .customLong("tracker"), help: "Scrape this tracker instead of the torrent's; repeatable.")
    var trackers: [String] = []

    @Option(parsing: .unconditional, help: "Seconds to wait for each tracker, 1 to 3600 (default: 15).")
    var timeout: Int = 15

    func validate() throws {
        guard (1...3600).contains(timeout) else { throw ValidationError("--timeout must be from 1 to 3600 seconds, got \(timeout)") }
    }

    @Flag(help: "Print one JSON object: {\"info_hash\": HEX, \"trackers\": [{\"url\", \"complete\", \"downloaded\", \"incomplete\"} or {\"url\", \"error\"}]}.")
    var json = false

    func run() async throws {
        let metainfo = try loadMetainfo(torrent)
        let infoHash = metainfo.infoHashes.wireBytes
        let urls = trackers.isEmpty ? metainfo.trackers.flatMap { $0 } : trackers
        guard !urls.isEmpty else {
            printToStandardError("no_trackers: \(torrent) names no tracker; pass --tracker URL")
            throw ExitCode(1)
        }
        let client = TrackerClient(configuration: .init(
            httpTimeout: .seconds(Int64(timeout)),
            udpBaseTimeout: .seconds(Int64(max(1, timeout / 3))), udpMaxRetries: 1))
        var results: [JSON] = []
        var anyAnswered = false
        for url in urls {
            do {
                let counts = try await client.scrape(url, infoHashes: [infoHash])
                let entry = counts[infoHash] ?? ScrapeEntry(complete: 0, downloaded: 0, incomplete: 0)
                anyAnswered = true
                results.append(.object([("url", .string(url)), ("complete", .int(Int64(entry.complete))),
                                        ("downloaded", .int(Int64(entry.downloaded))),
                                        ("incomplete", .int(Int64(entry.incomplete)))]))
                if !json { print("\(url): \(entry.complete) seeders, \(entry.incomplete) leechers, \(entry.downloaded) downloads") }
            } catch {
                results.append(.object([("url", .string(url)), ("error", .string(error.description))]))
                if !json { print("\(url): \(error.description)") }
            }
        }
        await client.shutdown()
        if json {
            print(JSON.object([("info_hash", .string(Hex.encode(infoHash))), ("trackers", .array(results))]).text)
        }
        if !anyAnswered { throw ExitCode(1) }
    }
}
