import ArgumentParser
import Foundation
import NERDCrypto
import NERDDHT

struct DHTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dht",
        abstract: "Run a mainline DHT node, or look up peers in the DHT.",
        subcommands: [Run.self, GetPeers.self],
        defaultSubcommand: Run.self)

    struct Common: ParsableArguments {
        @Option(help: "UDP address, HOST:PORT (port 0 picks one).")
        var listen: String = "0.0.0.0:6881"

        @Option(name: .customLong("bootstrap"), help: "A node to join through, HOST:PORT; repeatable (default: the public bootstrap nodes).")
        var bootstrap: [String] = []

        func validate() throws {
            guard TrackerCommand.split(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
            try DHTOptions.validateBootstrap(bootstrap, option: "--bootstrap")
        }

        func configuration(state: String?) throws -> DHTNode.Configuration {
            var configuration = try DHTOptions(bootstrap: bootstrap, listen: listen)
                .configuration(defaultHost: "0.0.0.0", stateFile: state)
            configuration.queryTimeout = .seconds(2)
            return configuration
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Run a DHT node until interrupted, printing its ID and address.")

        @OptionGroup var common: Common

        @Option(help: "File keeping the node's ID and routing table between runs.")
        var state: String?

        @Flag(help: "Print one JSON line once serving: {\"ready\": true, \"listen\": \"HOST:PORT\", \"node_id\": HEX}.")
        var json = false

        func run() async throws {
            let node = DHTNode(configuration: try common.configuration(state: state))
            do { try await node.start() } catch {
                printToStandardError("\(error.code.rawValue): \(error.message)")
                throw ExitCode(1)
            }
            let address = node.listenAddress?.description ?? common.listen
            let interruption = Interruption.watch()
            if json {
                print(JSON.object([("ready", .bool(true)), ("listen", .string(address)), ("node_id", .string(node.id.hex))]).text)
            } else {
                print("DHT node \(node.id.hex) on \(address) — Ctrl-C to stop")
            }
            flushStandardOutput()
            let joining = Task { await node.bootstrap() }
            await interruption.wait()
            joining.cancel()
            await node.shutdown()
        }
    }

    struct GetPeers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get-peers", abstract: "Look up the peers of one info-hash and print them.")

        @Argument(help: "The 40-digit hex info-hash.")
        var infoHash: String

        @OptionGroup var common: Common

        @Flag(help: "Print one JSON object: {\"peers\": [\"HOST:PORT\", ...], \"nodes_queried\": N}.")
        var json = false

        func validate() throws {
            guard infoHash.count == 40, Hex.decode(infoHash) != nil else {
                throw ValidationError("the info-hash must be 40 hex digits, got \(infoHash)")
            }
        }

        func run() async throws {
            var configuration = try common.configuration(state: nil)
            if common.listen == "0.0.0.0:6881" { configuration.listen.port = 0 }
            // Gone once the lookup ends: other nodes should not keep it in their tables.
            configuration.readOnly = true
            let node = DHTNode(configuration: configuration)
            do { try await node.start() } catch {
                printToStandardError("\(error.code.rawValue): \(error.message)")
                throw ExitCode(1)
            }
            let result = await node.getPeers(NodeID(Hex.decode(infoHash)!)!)
            let answered = await node.statistics().nodes
            await node.shutdown()
            guard answered > 0 else {
                // Not "0 peers": nobody was asked, so nothing is known about the torrent.
                let from = configuration.bootstrap.isEmpty ? "no bootstrap node could be resolved" : "tried \(configuration.bootstrap.map(\.description).joined(separator: ", "))"
                printToStandardError("network: no DHT node answered (\(from)); give a reachable --bootstrap HOST:PORT")
                throw ExitCode(1)
            }
            if json {
                print(JSON.object([("peers", .array(result.peers.map { .string($0.description) })),
                                   ("nodes_queried", .int(Int64(result.nodesQueried)))]).text)
            } else {
                for peer in result.peers { print(peer) }
                print("\(result.peers.count) peers from \(result.nodesQueried) nodes queried")
            }
        }
    }
}
