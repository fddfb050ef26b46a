import ArgumentParser
import Foundation
import Logging
import NERDSwarm
import NERDTracker
import NERDWire

struct TrackerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracker",
        abstract: "Run a BitTorrent tracker (HTTP and UDP) until interrupted.",
        discussion: """
            Serves /announce and /scrape over HTTP (BEP 3, 7, 23, 48), BEP 15 over UDP, and \
            Prometheus metrics at /metrics on the HTTP port. Swarms live in memory. SIGHUP \
            rereads the --allow file: torrents taken off it are dropped with their peers, and a \
            file that does not parse or lists nothing leaves the list in force unchanged.
            """)

    @Option(help: "HTTP address, HOST:PORT (port 0 picks one).")
    var http: String = "0.0.0.0:6969"

    @Option(help: "UDP address, HOST:PORT (port 0 picks one).")
    var udp: String = "0.0.0.0:6969"

    @Flag(help: "Serve no HTTP.")
    var noHttp = false

    @Flag(help: "Serve no UDP.")
    var noUdp = false

    @Option(help: "File of hex info-hashes, one per line: track only these (reread on SIGHUP).")
    var allow: String?

    // The numeric options parse unconditionally, so that a negative number reaches validation
    // (a clear error) rather than reading as a missing value.
    @Option(parsing: .unconditional, help: "Seconds between a client's announces, 1 to 7200.")
    var interval: Int = 1800

    @Option(parsing: .unconditional, help: "Most torrents tracked.")
    var maxTorrents: Int = 2_000_000

    @Option(parsing: .unconditional, help: "Most peers over all torrents.")
    var maxPeers: Int = 20_000_000

    @Option(parsing: .unconditional, help: "Most peers in one torrent.")
    var maxPeersPerTorrent: Int = 200_000

    @Option(parsing: .unconditional, help: "Most peers one IPv4 address (any ports) or IPv6 /64 may have in one torrent; 0: no limit.")
    var maxPeersPerIp: Int = 32

    @Option(name: .customLong("trusted-proxy"),
            help: "IP or CIDR range of reverse proxies in front of the HTTP port whose X-Forwarded-For names the client (repeatable).")
    var trustedProxies: [String] = []

    @Option(parsing: .unconditional, help: "Event loop threads, 1 to 256 (default: half the cores, at least one).")
    var threads: Int?

    @Flag(help: "Print one JSON line once serving: {\"ready\": true, \"http\": \"HOST:PORT\", \"udp\": \"HOST:PORT\"}.")
    var json = false

    func validate() throws {
        if !noHttp, Self.split(http) == nil { throw ValidationError("--http must be HOST:PORT, got \(http)") }
        if !noUdp, Self.split(udp) == nil { throw ValidationError("--udp must be HOST:PORT, got \(udp)") }
        if noHttp && noUdp { throw ValidationError("--no-http and --no-udp together leave nothing to serve") }
        guard maxPeersPerIp >= 0 else { throw ValidationError("--max-peers-per-ip must be 0 (no limit) or more") }
        guard (1...TrackerServer.maxInterval).contains(interval) else {
            throw ValidationError("--interval must be from 1 to \(TrackerServer.maxInterval) seconds (two hours)")
        }
        guard maxTorrents >= 1 else { throw ValidationError("--max-torrents must be at least 1") }
        guard maxPeers >= 1 else { throw ValidationError("--max-peers must be at least 1") }
        guard maxPeersPerTorrent >= 1 else { throw ValidationError("--max-peers-per-torrent must be at least 1") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be from 1 to 256") }
    }

    func run() async throws {
        let loopbackOnly = LoopbackGuardSetting.fromEnvironment
        let reloader = AllowListReloader(path: allow)
        var allowList: [[UInt8]]?
        if let allow {
            do {
                let hashes = try AllowListFile.read(allow)
                // As on SIGHUP, a file that lists nothing is taken for a mistake, not for
                // "refuse every torrent".
                guard !hashes.isEmpty else {
                    throw TrackerError(.invalidConfiguration, "\(allow) lists no info-hashes")
                }
                allowList = hashes
            } catch {
                printToStandardError(AllowListFile.describe(error))
                throw ExitCode(1)
            }
        }
        var configuration = TrackerServer.Configuration(
            http: noHttp ? nil : Self.split(http).map { Self.guarded($0, loopbackOnly) },
            udp: noUdp ? nil : Self.split(udp).map { Self.guarded($0, loopbackOnly) },
            interval: interval,
            limits: .init(maxTorrents: maxTorrents, maxPeersPerTorrent: maxPeersPerTorrent, maxPeers: maxPeers,
                          maxPeersPerAddress: maxPeersPerIp),
            allowList: allowList, loopbackOnly: loopbackOnly, threads: threads ?? TrackerServer.defaultThreads)
        configuration.trustedProxies = trustedProxies
        let server = TrackerServer(configuration: configuration, logger: Logger(label: "nerd.tracker"))
        do {
            try await server.start()
        } catch {
            printToStandardError("\(error.code): \(error.message)")
            throw ExitCode(1)
        }
        // Watched before "ready" is said: a signal sent on seeing it is never missed.
        let interruption = Interruption.watch()
        if json {
            // A protocol not served is null, as `nerd seed` gives a missing `dht`.
            print(JSON.object([("ready", .bool(true)), ("http", .optional(server.httpAddress)),
                               ("udp", .optional(server.udpAddress))]).text)
        } else {
            if let address = server.httpAddress { print(Self.announceURL("http", address)) }
            if let address = server.udpAddress { print(Self.announceURL("udp", address)) }
            print("tracking\(allowList.map { " \(Set($0).count) allowed torrents" } ?? "") — Ctrl-C to stop")
        }
        reloader.serving(server.registry)
        flushStandardOutput()
        await interruption.wait()
        await server.shutdown()
    }

    /// The announce URL clients use, or, when listening on every address (which no client can
    /// dial), a template naming the port.
    static func announceURL(_ scheme: String, _ address: String) -> String {
        for any in ["0.0.0.0:", "[::]:"] where address.hasPrefix(any) {
            let port = address.dropFirst(any.count)
            return "\(scheme)://<this machine's address>:\(port)/announce (listening on \(address), every address)"
        }
        return "\(scheme)://\(address)/announce"
    }

    /// `HOST:PORT` or `[IPv6]:PORT`, parsed as peer addresses are (`localhost` is 127.0.0.1).
    static func split(_ text: String) -> (host: String, port: Int)? {
        PeerAddress(text).map { ($0.host, $0.port) }
    }

    /// Under the loopback-only guard, "all interfaces" means loopback.
    static func guarded(_ address: (host: String, port: Int), _ loopbackOnly: Bool) -> (host: String, port: Int) {
        guard loopbackOnly, address.host == "0.0.0.0" || address.host == "::" else { return address }
        return ("127.0.0.1", address.port)
    }
}
