import ArgumentParser
import Foundation
import NERDWire

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a .torrent from a file or folder.",
        discussion: "v1 by default (as mktorrent and Transmission); --hybrid or --v2 for BEP 52 torrents.")

    @Argument(help: "The file or folder to share; its name becomes the torrent name.")
    var path: String

    @Option(name: .shortAndLong, help: "Where to write the torrent (default: <name>.torrent).")
    var output: String?

    @Option(name: .customLong("piece-length"), parsing: .unconditional, help: "Piece length in bytes, a power of two from 16384 (default: the smallest from 16 KiB to 16 MiB that makes at most 2000 pieces).")
    var pieceLength: Int?

    @Option(name: .customLong("tracker"), help: "Announce URL; repeat for more tiers, comma-separate URLs within one tier.")
    var trackers: [String] = []

    @Option(name: .customLong("web-seed"), help: "Web seed URL (BEP 19); repeatable.")
    var webSeeds: [String] = []

    @Flag(help: "Set the private flag (BEP 27): peers only from the trackers.")
    var `private` = false

    @Option(help: "A comment stored in the torrent.")
    var comment: String?

    @Flag(help: "Include hidden files and folders (names starting with '.').")
    var includeHidden = false

    @Option(parsing: .unconditional, help: "Hashing threads, 1 to 256 (default: all cores).")
    var threads: Int?

    @Flag(help: "Torrent format.")
    var format: Format = .v1

    @Flag(help: "Print no progress bar.")
    var quiet = false

    @Flag(help: "Overwrite the output file if it exists.")
    var force = false

    /// One `--tracker` value: several URLs separated by commas form a tier, but a comma
    /// inside a single URL (a query string) does not split it.
    static func tier(_ value: String) -> [String] {
        let parts = value.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        return parts.count > 1 && parts.allSatisfy({ $0.contains("://") }) ? parts : [value.trimmingCharacters(in: .whitespaces)]
    }

    /// Schemes other clients announce to; NERD itself uses http and udp (TrackerURL).
    static let trackerSchemes: Set<String> = ["http", "https", "udp", "ws", "wss"]
    /// BEP 19 web seeds are HTTP or FTP servers.
    static let webSeedSchemes: Set<String> = ["http", "https", "ftp"]

    /// Why `url` cannot go into the torrent, if it cannot: not `SCHEME://HOST...`, a scheme
    /// outside `schemes`, or white space (clients split announce lists on it).
    static func urlProblem(_ url: String, schemes: Set<String>) -> String? {
        guard let separator = url.range(of: "://"), !url.contains(where: \.isWhitespace) else {
            return "not a URL"
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard schemes.contains(scheme) else {
            return "\(scheme.isEmpty ? "no" : "unsupported") scheme (use \(schemes.sorted().joined(separator: ", ")))"
        }
        let host = url[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return host.isEmpty || host.hasPrefix(":") ? "no host" : nil
    }

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256, got \(threads)") }
        for url in trackers.flatMap(Self.tier) {
            if let problem = Self.urlProblem(url, schemes: Self.trackerSchemes) {
                throw ValidationError("--tracker \(url): \(problem)")
            }
        }
        for url in webSeeds {
            if let problem = Self.urlProblem(url, schemes: Self.webSeedSchemes) {
                throw ValidationError("--web-seed \(url): \(problem)")
            }
        }
    }

    enum Format: String, EnumerableFlag {
        case v1, v2, hybrid
    }

    func run() throws {
        var options = TorrentCreator.Options()
        options.pieceLength = pieceLength
        options.version = MetainfoVersion(rawValue: format.rawValue) ?? .v1
        options.trackers = trackers.map(Self.tier)
        options.webSeeds = webSeeds
        options.isPrivate = `private`
        options.comment = comment
        options.includeHidden = includeHidden
        options.creationDate = Int64(Date().timeIntervalSince1970)
        if let threads { options.threads = max(1, threads) }
        let unusable = trackers.flatMap(Self.tier).filter { !["http", "udp"].contains($0.prefix { $0 != ":" }.lowercased()) }
        if !unusable.isEmpty {
            printToStandardError("note: NERD announces over http and udp only; other clients will use \(unusable.joined(separator: ", "))")
        }

        let bar = quiet || isatty(STDERR_FILENO) != 1 ? nil : ProgressBar(label: "hashing")
        do throws(WireError) {
            var progress: (@Sendable (Int64, Int64) -> Void)? = nil
            if let bar { progress = { done, total in bar.update(done, of: total) } }
            let torrent = try TorrentCreator.create(from: path, options: options, progress: progress)
            bar?.finish()
            let metainfo = try Metainfo(bytes: torrent)
            let destination = output ?? metainfo.name + ".torrent"
            do {
                try Data(torrent).write(to: URL(fileURLWithPath: destination), options: force ? [.atomic] : [.withoutOverwriting])
            } catch {
                let exists = FileManager.default.fileExists(atPath: destination)
                throw WireError(.ioError, exists && !force
                    ? "\(destination) exists; use --force to overwrite it"
                    : "cannot write \(destination): \(systemErrorText(error))")
            }
            print("wrote \(destination)")
            if let v1 = metainfo.infoHashes.v1 { print("info-hash v1: \(v1.hex)") }
            if let v2 = metainfo.infoHashes.v2 { print("info-hash v2: \(v2.hex)") }
            print("\(metainfo.pieceCount) pieces of \(ByteCount.format(Int64(metainfo.pieceLength))), \(ByteCount.format(metainfo.totalSize))")
        } catch {
            bar?.finish()
            throw fail(error)
        }
    }
}
