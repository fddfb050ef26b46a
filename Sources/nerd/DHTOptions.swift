import ArgumentParser
import NERDDHT
import NIOCore
import NERDWire

/// Where a `nerd` DHT node listens and whom it joins through.
struct DHTOptions {
    /// The public mainline bootstrap nodes, used when none are given (never under the
    /// loopback-only guard: their names are not even resolved then).
    static let publicBootstrap = ["router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881"]

    var bootstrap: [String]
    var listen: String?

    func configuration(defaultHost: String, stateFile: String?) throws -> DHTNode.Configuration {
        let loopbackOnly = LoopbackGuardSetting.fromEnvironment
        var host = defaultHost
        var port = 0
        if let listen {
            guard let parsed = TrackerCommand.split(listen) else { throw ValidationError("bad DHT address \(listen)") }
            (host, port) = TrackerCommand.guarded(parsed, loopbackOnly)
        } else if loopbackOnly, host == "0.0.0.0" || host == "::" {
            host = "127.0.0.1"
        }
        let names = bootstrap.isEmpty ? (loopbackOnly ? [] : Self.publicBootstrap) : bootstrap
        return DHTNode.Configuration(listen: (host, port), bootstrap: Self.resolve(names, loopbackOnly: loopbackOnly),
                                     stateFile: stateFile, loopbackOnly: loopbackOnly)
    }

    /// Checks `--bootstrap`/`--dht-bootstrap` values: `HOST:PORT` with a port from 1 to 65535,
    /// and under the loopback-only guard a loopback IP literal (names are not resolved then).
    static func validateBootstrap(_ nodes: [String], option: String) throws {
        let loopbackOnly = LoopbackGuardSetting.fromEnvironment
        for node in nodes {
            guard let (host, port) = TrackerCommand.split(node), (1...65535).contains(port), !host.isEmpty else {
                throw ValidationError("\(option) must be HOST:PORT with a port from 1 to 65535, got \(node)")
            }
            if loopbackOnly, DHTAddress(node)?.isLoopback != true {
                throw ValidationError("\(option) \(node) is not a loopback address and the loopback-only guard is on")
            }
        }
    }

    /// IP literals as they are; names through the system resolver, except under the guard.
    static func resolve(_ names: [String], loopbackOnly: Bool) -> [DHTAddress] {
        names.compactMap { text in
            if let literal = DHTAddress(text) { return literal }
            guard !loopbackOnly, let (host, port) = TrackerCommand.split(text),
                  let resolved = try? SocketAddress.makeAddressResolvingHost(host, port: port), let ip = resolved.ipAddress
            else { return nil }
            return DHTAddress(ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)")
        }
    }
}
