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
        let list = try dir.write("allow.txt", Array("# tracked here\n\(hex(Self.first))\n".utf8))
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

        _ = try dir.write("allow.txt", Array("\(hex(Self.second))\n".utf8))
        tracker.send(SIGHUP)
        try #require(tracker.waitFor("1 torrents allowed, 1 swarms dropped", timeout: 10), "no reload: \(tracker.text)")
        #expect(await refused(Self.first))
        let counts = try await client.scrape(url, infoHashes: [Self.first])
        #expect((counts[Self.first]?.incomplete ?? 0) == 0)
        #expect(try await client.announce(url, request(Self.second, port: 6002)).incomplete == 1)

        // A typo in the file leaves the list in force as it was.
        _ = try dir.write("allow.txt", Array("not a hash\n".utf8))
        tracker.send(SIGHUP)
        try #require(tracker.waitFor("allow-list kept unchanged", timeout: 10), "no reload attempt: \(tracker.text)")
        #expect(tracker.text.contains("allow.txt:1: not a 40-digit hex info-hash"))
        #expect(try await client.announce(url, request(Self.second, port: 6003)).incomplete == 2)
        #expect(await refused(Self.first))
        #expect(tracker.isRunning)
    }
}
