import ArgumentParser

@main
struct Nerd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nerd",
        abstract: "NERD: a BitTorrent-compatible content delivery node with BSV micropayments.",
        subcommands: [Info.self, Create.self]
    )
}
