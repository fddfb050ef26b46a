import ArgumentParser
import NERDNode
import NERDSwarm

/// The options `nerd get` and `nerd seed` share: where to listen, whom to dial, which
/// trackers to use, where resume data lives, and rate limits.
struct PeerOptions: ParsableArguments {
    @Option(name: .customLong("listen"),
            help: "Address to accept peers on (port 0 picks one). Default 0.0.0.0:6881, or the next free port up to 6890.")
    var listenOption: String?

    /// The listen address in force: the one given, else 6881 on every address.
    var listen: String { listenOption ?? "0.0.0.0:6881" }

    @Option(name: .customLong("peer"), help: "A peer to dial, HOST:PORT; repeatable. Re-dialled while not connected.")
    var peers: [String] = []

    @Option(name: .customLong("tracker"), help: "Another tracker to announce to, http:// or udp:// URL; repeatable.")
    var trackers: [String] = []

    @Flag(help: "Announce to none of the torrent's own trackers (only to --tracker URLs, if any).")
    var noTrackers = false

    @Option(name: .customLong("dht-bootstrap"), help: "A DHT node to join through, HOST:PORT; repeatable (default: the public bootstrap nodes).")
    var dhtBootstrap: [String] = []

    @Option(name: .customLong("dht-listen"), help: "UDP address of the DHT node (default: the --listen host, port 0 picks one).")
    var dhtListen: String?

    @Flag(name: .customLong("no-dht"), help: "Run no DHT node.")
    var noDHT = false

    @Option(help: "Folder for resume data (default: the user's data folder).")
    var stateDir: String?

    @Option(name: .customLong("upload-limit"), parsing: .unconditional, help: "Upload limit in bytes per second (default: none).")
    var uploadLimit: Int?

    @Option(name: .customLong("download-limit"), parsing: .unconditional, help: "Download limit in bytes per second (default: none).")
    var downloadLimit: Int?

    @Option(name: .customLong("max-peers"), parsing: .unconditional, help: "Most peer connections per torrent, 1 to 10000.")
    var maxPeers = 50

    @Option(name: .customLong("max-connections"), parsing: .unconditional,
            help: "Most peer connections over all torrents, incoming and outgoing, 1 to 100000.")
    var maxConnections = 500

    @Option(help: ArgumentHelp("Message Stream Encryption (MSE/PE) for peer connections: enabled (accept both, dial encrypted first, "
                               + "plain on retry; magnet metadata plain first), forced (encrypted handshake and RC4 stream only), disabled (plain only).",
                               valueName: "enabled|forced|disabled"))
    var encryption: EncryptionPolicy = .enabled

    @Option(help: ArgumentHelp("BEP 6 suggest messages to send: none, or read-cache (suggest pieces just read from disk that "
                               + "are not common among peers, so peers that follow are served from memory; for seeds "
                               + "whose disk is the limit).", valueName: "none|read-cache"))
    var suggest: SuggestMode = .none

    func validate() throws {
        for (name, limit) in [("--upload-limit", uploadLimit), ("--download-limit", downloadLimit)] {
            if let limit, limit < 1 { throw ValidationError("\(name) must be at least 1 byte per second (leave it out for no limit), got \(limit)") }
        }
        guard (1...10_000).contains(maxPeers) else { throw ValidationError("--max-peers must be from 1 to 10000, got \(maxPeers)") }
        guard (1...100_000).contains(maxConnections) else {
            throw ValidationError("--max-connections must be from 1 to 100000, got \(maxConnections)")
        }
        _ = try parsePeers(peers)
        guard PeerAddress(listen) != nil else {
            if let port = listen.split(separator: ":").last.flatMap({ Int($0) }), !(0...65535).contains(port) {
                throw ValidationError("--listen port must be from 0 to 65535, got \(port)")
            }
            throw ValidationError("--listen must be HOST:PORT, got \(listen)")
        }
        try DHTOptions.validateBootstrap(dhtBootstrap, option: "--dht-bootstrap")
        if let dhtListen, PeerAddress(dhtListen) == nil { throw ValidationError("--dht-listen must be HOST:PORT, got \(dhtListen)") }
    }

    func makeNode() throws -> Node {
        // Only the default port moves on when taken: a port the operator named is meant.
        try NERDCLI.makeNode(listen: listen, stateDir: stateDir, ownTrackers: !noTrackers, trackers: trackers,
                             dht: noDHT ? nil : DHTOptions(bootstrap: dhtBootstrap, listen: dhtListen), encryption: encryption,
                             suggestMode: suggest, listenPortAttempts: listenOption == nil ? 10 : 1,
                             maxPeersPerTorrent: maxPeers, maxConnections: maxConnections)
    }

    /// Applies the limits to a torrent and dials the given peers.
    func attach(_ torrent: Torrent, in node: Node) throws {
        torrent.setRateLimits(upload: uploadLimit, download: downloadLimit)
        for peer in try parsePeers(peers) { node.session.connect(to: peer, torrent: torrent) }
    }
}

extension EncryptionPolicy: ExpressibleByArgument {}
extension SuggestMode: ExpressibleByArgument {}
