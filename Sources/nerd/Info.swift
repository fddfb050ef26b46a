import ArgumentParser
import NERDWire

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a .torrent file or magnet link holds.",
        discussion: """
            Prints name, info-hashes, piece length and count, total size, files, trackers, \
            web seeds and the private flag. With --json, one JSON object (keys in Docs/cli.md). \
            A rejected input exits 1 with one line on stderr: '<error-kind>: <reason>'.
            """)

    @Argument(help: "A .torrent file path or a magnet: URI.")
    var torrent: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        do throws(WireError) {
            let summary: TorrentSummary
            if torrent.lowercased().hasPrefix("magnet:") {
                summary = TorrentSummary(magnet: try MagnetURI(parsing: torrent))
            } else {
                let bytes = try readFile(torrent, limit: MetainfoLimits.default.bencode.maxInputSize)
                summary = TorrentSummary(metainfo: try Metainfo(bytes: bytes))
            }
            print(json ? summary.json.text : summary.text)
        } catch {
            throw fail(error)
        }
    }
}
