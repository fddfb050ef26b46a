import ArgumentParser
import Foundation
import NERDNode
import NERDSwarm

struct QuickstartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quickstart",
        abstract: "See NERD work: seed a file from one node and download it with another, on loopback.",
        discussion: "Makes a 64 MiB sample (or shares PATH), starts a tracker, creates a torrent announcing to it, lets the downloader find the seed through the tracker, transfers over real TCP sockets on 127.0.0.1, and checks the copy.")

    @Argument(help: "A file or folder to share instead of the sample.")
    var path: String?

    @Option(help: "Where the sample, torrent and download go (default: <temp>/nerd-quickstart).")
    var workDir: String?

    @Flag(help: "Print one JSON object instead of progress.")
    var json = false

    func run() async throws {
        let work = workDir ?? (NSTemporaryDirectory() + "nerd-quickstart")
        let bar = json || isatty(STDERR_FILENO) != 1 ? nil : TransferProgress()
        if !json { print("NERD quickstart: seeding and downloading on 127.0.0.1 in \(work)") }
        do {
            let result = try await Quickstart.run(content: path, workDirectory: work) { status in bar?.draw(status) }
            if bar != nil { printToStandardError("") }
            if json {
                print(JSON.object([
                    ("torrent", .string(result.torrentPath)), ("source", .string(result.sourcePath)),
                    ("downloaded", .string(result.downloadedPath)), ("info_hash", .string(result.infoHash)), ("tracker", .string(result.tracker)),
                    ("total_size", .int(result.totalSize)), ("seconds", .double(result.seconds)),
                    ("identical", .bool(result.identical)),
                ]).text)
            } else {
                let rate = Double(result.totalSize) / max(result.seconds, 0.001)
                print("torrent:    \(result.torrentPath)")
                print("info-hash:  \(result.infoHash)")
                print("tracker:    \(result.tracker)")
                print("downloaded: \(result.downloadedPath)")
                print("moved \(ByteCount.format(result.totalSize)) in \(String(format: "%.2f", result.seconds)) s "
                      + "(\(ByteCount.format(Int64(rate)))/s); copy \(result.identical ? "identical to the source" : "DIFFERS from the source")")
            }
            if !result.identical { throw ExitCode(1) }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw failure(error)
        }
    }
}
