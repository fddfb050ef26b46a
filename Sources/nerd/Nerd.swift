import ArgumentParser
import Logging

@main
struct Nerd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nerd",
        abstract: "NERD: a BitTorrent-compatible content delivery node with BSV micropayments.",
        subcommands: [QuickstartCommand.self, Info.self, Create.self, Get.self, Seed.self, TrackerCommand.self, ScrapeCommand.self, DHTCommand.self, WalletCommand.self]
    )

    static func main() async {
        LogSetup.bootstrap()
        MemoryTuning.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
