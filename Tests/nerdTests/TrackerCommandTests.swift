import Foundation
import NERDTestSupport
import NERDTracker
import Testing

/// `nerd tracker` run as an operator runs it.
@Suite struct TrackerCommandTests {
    static let first = [UInt8](repeating: 0xA1, count: 20)
    static let second = [UInt8](repeating: 0xB2, count: 20)

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    func request(_ infoHash: [UInt8], port: UInt16) -> AnnounceRequest {
        AnnounceRequest(infoHash: infoHash, peerID: Array(repeating: 7, count: 20), port: port, left: 100, event: .started)
    }

    /// The allow-list is reread on SIGHUP: a torrent taken off it is refused and its swarm
    /// dropped, a torrent put on it is tracked, and a file that does not parse changes nothing.
    @Test func allowListIsRereadOnHangup() async throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A byte-order mark, a comment line and a comment after the hash.
        let list = try dir.write("allow.txt", Array("\u{FEFF}# tracked here\n\(hex(Self.first))  # the first\n".utf8))
        let tracker = try BackgroundProcess(NerdCommand.path, ["tracker", "--http", "127.0.0.1:0", "--no-udp", "--allow", list, "--json"])
        defer { tracker.stop() }
        try #require(tracker.waitFor("\"ready\": true"), "nerd tracker did not start: \(tracker.text)")
        let ready = try JSONSerialization.jsonObject(with: Data(tracker.text.split(separator: "\n")[0].utf8)) as? [String: Any]
        let address = try #require(ready?["http"] as? String)
        let url = "http://\(address)/announce"
        let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(10)))
        defer { Task { await client.shutdown() } }

        func refused(_ infoHash: [UInt8]) async -> Bool {
            do {
                _ = try await client.announce(url, request(infoHash, port: 6001))
                return false
            } catch {
                return error.code == .trackerFailure && error.message.contains("not tracked")
            }
        }

        let reply = try await client.announce(url, request(Self.first, port: 6001))
        #expect(reply.incomplete == 1)
        #expect(await refused(Self.second))

        // CRLF line ends, a blank line, and the same hash twice.
        _ = try dir.write("allow.txt", Array("\(hex(Self.second))\r\n\r\n\(hex(Self.second))\r\n".utf8))
        tracker.send(SIGHUP)
        try #require(tracker.waitFor("1 torrent allowed, 1 swarm dropped", timeout: 10), "no reload: \(tracker.text)")
        #expect(await refused(Self.first))
        let counts = try await client.scrape(url, infoHashes: [Self.first])
        #expect((counts[Self.first]?.incomplete ?? 0) == 0)
        #expect(try await client.announce(url, request(Self.second, port: 6002)).incomplete == 1)

        // A typo in the file, or a file left empty, leaves the list in force as it was.
        _ = try dir.write("allow.txt", Array("\n\(hex(Self.second))\n\nnot a hash\n".utf8))
        tracker.send(SIGHUP)
        try #require(tracker.waitFor("allow.txt:4: not a 40-digit hex info-hash", timeout: 10), "no reload attempt: \(tracker.text)")
        _ = try dir.write("allow.txt", Array("# nothing yet\n".utf8))
        tracker.send(SIGHUP)
        try #require(tracker.waitFor("lists no info-hashes", timeout: 10), "no reload attempt: \(tracker.text)")
        #expect(try await client.announce(url, request(Self.second, port: 6003)).incomplete == 2)
        #expect(await refused(Self.first))
        #expect(tracker.isRunning)
    }

    /// A bad line in the allow file stops the start with the file, the line and exit status 1.
    @Test func badAllowFileIsNamedAtStart() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let list = try dir.write("allow.txt", Array("\(hex(Self.first))\r\n\r\nnot-a-hash\r\n".utf8))
        let result = try NerdCommand.run(["tracker", "--http", "127.0.0.1:0", "--no-udp", "--allow", list])
        #expect(result.status == 1)
        #expect(result.stderr.contains("invalid_configuration: \(list):3: not a 40-digit hex info-hash: not-a-hash"), "\(result.stderr)")

        // Binary on a bad line is shown escaped; a file that lists nothing is a mistake too.
        let binary = try dir.write("binary.txt", [0x1B, 0x5B, 0x32, 0x4A, 0x41, 0x0A])
        let shown = try NerdCommand.run(["tracker", "--http", "127.0.0.1:0", "--no-udp", "--allow", binary])
        #expect(shown.status == 1)
        #expect(shown.stderr.contains("info-hash: \\u{1b}[2JA"), "\(shown.stderr)")
        let empty = try dir.write("empty.txt", Array("# nothing yet\n".utf8))
        let none = try NerdCommand.run(["tracker", "--http", "127.0.0.1:0", "--no-udp", "--allow", empty])
        #expect(none.status == 1)
        #expect(none.stderr.contains("invalid_configuration: \(empty) lists no info-hashes"), "\(none.stderr)")
        // An interval that 32-bit BEP 15 replies (or the clients) cannot carry is refused up front.
        let interval = try NerdCommand.run(["tracker", "--http", "127.0.0.1:0", "--no-udp", "--interval", "4294967296"])
        #expect(interval.status == 64)
        #expect(interval.stderr.contains("--interval must be from 1 to 7200 seconds"), "\(interval.stderr)")
    }

    /// Out of descriptors, the tracker stops accepting for a moment instead of retrying the
    /// failing accept at full CPU, and serves again once connections close.
    @Test func descriptorShortagePausesAcceptingInsteadOfSpinning() async throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        // A descriptor limit of 64 for the tracker alone; the held connections outnumber it.
        // One event loop: each loop takes a few descriptors of its own.
        let tracker = try BackgroundProcess("/bin/sh", ["-c", "ulimit -n 64 && exec \"$0\" tracker --http 127.0.0.1:0 --no-udp --threads 1 --json",
                                                        NerdCommand.path])
        defer { tracker.stop() }
        try #require(tracker.waitFor("\"ready\": true"), "nerd tracker did not start: \(tracker.text)")
        let ready = try JSONSerialization.jsonObject(with: Data(tracker.text.split(separator: "\n")[0].utf8)) as? [String: Any]
        let address = try #require(ready?["http"] as? String)
        let port = try #require(UInt16(address.split(separator: ":").last ?? ""))

        // Connections that start a request and never finish it: the tracker holds each open.
        var held: [Int32] = []
        defer { for fd in held { close(fd) } }
        for _ in 0..<100 {
            let fd = try #require(Self.connect(port: port))
            held.append(fd)
            _ = "GET /announce?info_hash=".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }
        try await Task.sleep(for: .seconds(1))
        let before = try #require(tracker.cpuSeconds)
        try await Task.sleep(for: .seconds(2))
        let used = try #require(tracker.cpuSeconds) - before
        // Spinning on accept costs a whole core; paused, the tracker is idle.
        #expect(used < 0.5, "tracker used \(used) s of CPU in 2 s while out of descriptors")
        #expect(tracker.text.contains("HTTP accepts paused 1 s at a time"))

        for fd in held { close(fd) }
        held = []
        let client = TrackerClient(configuration: .init(loopbackOnly: true, httpTimeout: .seconds(10)))
        defer { Task { await client.shutdown() } }
        let reply = try await client.announce("http://\(address)/announce", request(Self.first, port: 6001))
        #expect(reply.incomplete == 1)
        #expect(tracker.isRunning)
    }

    /// A blocking TCP connection to 127.0.0.1:`port`, or nil.
    static func connect(port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(fd)
            return nil
        }
        return fd
    }
}
