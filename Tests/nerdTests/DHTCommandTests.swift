import Foundation
import NERDTestSupport
import Testing

/// `nerd dht` as a user runs it, on loopback (the tests' environment sets the loopback guard).
@Suite struct DHTCommandTests {
    static let hash = String(repeating: "ab", count: 20)

    /// Bad bootstrap addresses are refused up front; an unreachable one is an error, not
    /// "0 peers"; a state path naming another file leaves that file whole.
    @Test func mistakesAreSaidNotSwallowed() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        for (bootstrap, message) in [("garbage", "--bootstrap must be HOST:PORT"), ("127.0.0.1:99999", "--bootstrap must be HOST:PORT"),
                                     ("10.0.0.1:6881", "not a loopback address and the loopback-only guard is on")] {
            let result = try NerdCommand.run(["dht", "get-peers", Self.hash, "--bootstrap", bootstrap])
            #expect(result.status == 64 && result.stderr.contains(message), "\(bootstrap): \(result.stderr)")
        }
        // Port 9 on loopback: nothing listens there.
        let silent = try NerdCommand.run(["dht", "get-peers", Self.hash, "--listen", "127.0.0.1:0", "--bootstrap", "127.0.0.1:9"], timeout: 60)
        #expect(silent.status == 1)
        #expect(silent.stderr.contains("network: no DHT node answered (tried 127.0.0.1:9)"), "\(silent.stderr)")

        let victim = try dir.write("keep.torrent", Array("d8:announce0:4:infod4:name1:xee".utf8))
        let refused = try NerdCommand.run(["dht", "run", "--listen", "127.0.0.1:0", "--bootstrap", "127.0.0.1:9", "--state", victim], timeout: 20)
        #expect(refused.status == 1 && refused.stderr.contains("invalid_dht_state: \(victim) is not a DHT state file"), "\(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: victim)) == Data("d8:announce0:4:infod4:name1:xee".utf8))
    }
}
