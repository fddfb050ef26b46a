#if canImport(Glibc)
import Glibc
#endif

/// Dispatches the subcommands.
enum TrackerLoad {
    static func main(_ arguments: [String]) -> Int32 {
        let options: LoadOptions
        do {
            options = try LoadOptions.parse(arguments)
        } catch {
            printError("tracker-load: \(error.message)\n\n\(LoadOptions.usage)")
            return 2
        }
        switch options.mode {
        case .hashes:
            printHashes(options)
            return 0
        case .udp, .http:
            guard let target = options.target else { return 2 }
            do {
                let summary = options.mode == .udp
                    ? try UDPLoad(options: options, target: target).run()
                    : HTTPLoad(options: options, target: target).run()
                summary.report(json: options.json)
                return 0
            } catch {
                printError("tracker-load: \(error.message)")
                return 1
            }
        }
    }

    /// The info-hashes of torrents 0..<N, one 40-digit lowercase hex line each (a whitelist).
    private static func printHashes(_ options: LoadOptions) {
        var text = ""
        text.reserveCapacity(41 * min(options.torrents, 1 << 20))
        for index in 0..<options.torrents {
            text += InfoHashes.hex(seed: options.seed, index: index)
            text += "\n"
            if text.utf8.count >= 1 << 20 {
                writeOut(text)
                text.removeAll(keepingCapacity: true)
            }
        }
        writeOut(text)
    }
}

/// A failure to report and stop on (usage or socket).
struct LoadError: Error {
    let message: String
    init(_ message: String) { self.message = message }

    /// `what` failed with the current `errno`.
    static func system(_ what: String) -> LoadError { LoadError("\(what): \(String(cString: strerror(errno)))") }
}

/// Unbuffered writes to the standard streams (stdio's globals are not concurrency-safe in Swift 6).
func writeOut(_ text: String) { write(descriptor: 1, text) }

func printError(_ text: String) { write(descriptor: 2, text + "\n") }

private func write(descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}
