import Glibc

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
                let summary =
                    options.mode == .udp
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
