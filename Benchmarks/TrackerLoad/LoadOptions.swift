import Glibc

/// Command line of `tracker-load`.
struct LoadOptions {
    enum Mode: String { case hashes, udp, http }

    /// An IPv4 loopback address and port, both in host byte order.
    struct Target {
        var address: UInt32
        var port: UInt16
        var text: String

        var socketAddress: sockaddr_in {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = self.address.bigEndian
            return address
        }
    }

    static let usage = """
        usage: tracker-load hashes --torrents N [--seed S]
               tracker-load udp|http --target 127.0.0.1:PORT [--torrents 100000] [--peers 10] [--seed 1]
                   [--requests N] [--duration SECONDS] [--window 64] [--sockets 8] [--max-seconds 900]
                   [--reuse-connection-id] (udp) [--keep-alive] (http) [--fill] [--json]
        Without --fill, --requests or --duration, runs for 10 seconds. --fill announces every
        (torrent, peer) once, in order. Targets must be in 127.0.0.0/8.
        """

    var mode: Mode
    var target: Target?
    var torrents = 100_000
    var peers = 10
    var seed: UInt64 = 1
    var requests: Int?
    /// Seconds to keep issuing announces (measured from the first send).
    var duration: Double?
    /// Requests (UDP) or connections (HTTP) in flight at once.
    var window = 64
    /// UDP sockets, so the load spreads over a tracker's SO_REUSEPORT sockets and threads.
    var sockets = 8
    /// Hard cap on any run, whatever else was asked.
    var maxSeconds = 900.0
    var reuseConnectionID = false
    var keepAlive = false
    var fill = false
    var json = false

    /// Seconds without a reply after which a request counts as a timeout (never retried).
    static let replyTimeout = 2.0

    static func parse(_ arguments: [String]) throws(LoadError) -> LoadOptions {
        guard let first = arguments.first, let mode = Mode(rawValue: first) else {
            throw LoadError("first argument must be hashes, udp or http")
        }
        var options = LoadOptions(mode: mode)
        var rest = arguments.dropFirst()
        while let name = rest.popFirst() {
            func value() throws(LoadError) -> String {
                guard let value = rest.popFirst() else { throw LoadError("\(name) needs a value") }
                return value
            }
            switch name {
            case "--target": options.target = try Self.target(try value())
            case "--torrents": options.torrents = try Self.integer(name, try value(), 1...100_000_000)
            case "--peers": options.peers = try Self.integer(name, try value(), 1...50_000)
            case "--seed": options.seed = UInt64(try Self.integer(name, try value(), 0...Int.max))
            case "--requests": options.requests = try Self.integer(name, try value(), 1...1_000_000_000)
            case "--duration": options.duration = try Self.seconds(name, try value())
            case "--window": options.window = try Self.integer(name, try value(), 1...4096)
            case "--sockets": options.sockets = try Self.integer(name, try value(), 1...256)
            case "--max-seconds": options.maxSeconds = try Self.seconds(name, try value())
            case "--reuse-connection-id": options.reuseConnectionID = true
            case "--keep-alive": options.keepAlive = true
            case "--fill": options.fill = true
            case "--json": options.json = true
            default: throw LoadError("unknown option \(name)")
            }
        }
        try options.check()
        return options
    }

    private func check() throws(LoadError) {
        if mode == .hashes { return }
        guard target != nil else { throw LoadError("--target 127.0.0.1:PORT is required") }
        if mode == .http && reuseConnectionID { throw LoadError("--reuse-connection-id is for udp") }
        if mode == .udp && keepAlive { throw LoadError("--keep-alive is for http") }
        if torrents.multipliedReportingOverflow(by: peers).overflow {
            throw LoadError("--torrents × --peers is too large")
        }
    }

    /// Announces to issue at most: all pairs once for `--fill`, else `--requests` (or unbounded).
    var announceLimit: Int? {
        let all = fill ? torrents * peers : nil
        switch (all, requests) {
        case let (all?, requests?): return min(all, requests)
        case let (all, requests): return all ?? requests
        }
    }

    /// Seconds to keep issuing: `--duration`, else 10 unless a count bounds the run, capped by `--max-seconds`.
    var issueSeconds: Double {
        min(duration ?? (announceLimit == nil ? 10 : maxSeconds), maxSeconds)
    }

    // MARK: Values

    /// Accepts only 127.0.0.0/8 (and `localhost`): this tool must never load anything off the machine.
    static func target(_ text: String) throws(LoadError) -> Target {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port != 0
        else {
            throw LoadError("--target must be 127.x.y.z:PORT, got \(text)")
        }
        var host = String(text[..<colon])
        if host == "localhost" { host = "127.0.0.1" }
        var address = in_addr()
        guard inet_pton(AF_INET, host, &address) == 1 else {
            throw LoadError("--target \(text): not an IPv4 address (loopback only)")
        }
        let hostOrder = UInt32(bigEndian: address.s_addr)
        guard hostOrder >> 24 == 127 else {
            throw LoadError("--target \(text) is not in 127.0.0.0/8; refusing to load anything but loopback")
        }
        return Target(address: hostOrder, port: port, text: "\(host):\(port)")
    }

    private static func integer(_ name: String, _ text: String, _ range: ClosedRange<Int>) throws(LoadError) -> Int {
        guard let number = Int(text), range.contains(number) else {
            throw LoadError("\(name) must be an integer in \(range.lowerBound)...\(range.upperBound), got \(text)")
        }
        return number
    }

    private static func seconds(_ name: String, _ text: String) throws(LoadError) -> Double {
        guard let number = Double(text), number > 0, number <= 86_400 else {
            throw LoadError("\(name) must be a number of seconds in (0, 86400], got \(text)")
        }
        return number
    }
}
