import Foundation
import NERDTestSupport
import Testing

/// Peers that find each other through trackers only (no manual peers anywhere): libtorrent
/// and aria2 through `nerd tracker`, `nerd get` through opentracker.
@Suite(.serialized) struct TrackerInteropTests: LibtorrentInterop {
    enum Transport: String, CaseIterable, Sendable { case http, udp }

    /// Content (one odd-sized file) and a v1 torrent announcing to `tracker`.
    func makeTorrent(_ dir: TemporaryDirectory, tracker: String) throws -> String {
        try dir.write("seed/blob.bin", TemporaryDirectory.bytes(count: 2_500_003, seed: 7))
        let torrent = dir.path + "/t.torrent"
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", dir.path + "/seed/blob.bin", "--out",
                                                          torrent, "--piece-size", "32768", "--v1-only", "--tracker", tracker])
        #expect(json(made.stdout)["ok"] as? Bool == true, "\(made.stderr)")
        return torrent
    }

    /// `nerd tracker` on loopback; returns the process and its announce URL for `transport`.
    func startNerdTracker(_ transport: Transport) throws -> (BackgroundProcess, String)? {
        let tracker = try BackgroundProcess(NerdCommand.path, ["tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0",
                                                               "--json"])
        guard tracker.waitFor("\"ready\": true") else {
            Issue.record("nerd tracker did not start: \(tracker.text)")
            return nil
        }
        let ready = json(tracker.text)
        guard let address = ready[transport.rawValue] as? String else { return nil }
        return (tracker, "\(transport.rawValue)://\(address)/announce")
    }

    @Test(arguments: Transport.allCases)
    func libtorrentFindsNerdSeedThroughNerdTracker(transport: Transport) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        guard let (tracker, url) = try startNerdTracker(transport) else { return }
        defer { tracker.stop() }
        let torrent = try makeTorrent(dir, tracker: url)
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:0", "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let get = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "get", "--torrent", torrent, "--out", dir.path + "/out",
                                                         "--timeout", "45"], timeout: 60)
        #expect(json(get.stdout)["ok"] as? Bool == true, "\(get.stdout) \(get.stderr)\n\(seed.text)")
        #expect(same(dir.path + "/seed/blob.bin", dir.path + "/out/blob.bin"))
    }

    @Test(arguments: Transport.allCases)
    func nerdFindsLibtorrentSeedThroughOpentracker(transport: Transport) throws {
        guard ready(), Prerequisite.check(Prerequisite.which("opentracker") != nil, "opentracker (Debian opentracker)"),
            let opentracker = Prerequisite.which("opentracker")
        else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let port = BackgroundProcess.freePort()
        let torrent = try makeTorrent(dir, tracker: "\(transport.rawValue)://127.0.0.1:\(port)/announce")
        let info = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "info", "--torrent", torrent])
        let infoHash = try #require(json(info.stdout)["v1"] as? String)
        // Debian's opentracker serves only whitelisted info-hashes; -w is relative to its -d folder.
        try dir.write("ot/whitelist.txt", Array((infoHash + "\n").utf8))
        chmod(dir.path, 0o755)
        chmod(dir.path + "/ot", 0o755)
        let tracker = try BackgroundProcess(opentracker, ["-i", "127.0.0.1", "-p", String(port), "-P", String(port),
                                                          "-d", dir.path + "/ot", "-w", "whitelist.txt", "-u", "nobody"])
        // Killed outright: a graceful stop of either costs seconds and proves nothing here.
        defer { tracker.kill9() }
        Thread.sleep(forTimeInterval: 0.5)
        #expect(tracker.isRunning, "opentracker exited: \(tracker.text)")
        let seed = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "seed", "--torrent", torrent, "--data",
                                                              dir.path + "/seed", "--port", "0", "--duration", "60"])
        defer { seed.kill9() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        // Start the download once the seed is on the tracker, as a user would find it.
        #expect(waitForSeeder(torrent), "the libtorrent seed never showed up on opentracker")
        let get = try NerdCommand.run(["get", torrent, "--out", dir.path + "/out", "--listen", "127.0.0.1:0",
                                       "--state-dir", dir.path + "/state", "--json", "--timeout", "45"], timeout: 60)
        #expect(get.status == 0, "\(get.stdout) \(get.stderr)")
        #expect(json(get.stdout)["complete"] as? Bool == true)
        #expect(same(dir.path + "/seed/blob.bin", dir.path + "/out/blob.bin"))
    }

    /// Polls `nerd scrape` until the torrent's tracker counts a seeder (at most 20 s).
    func waitForSeeder(_ torrent: String) -> Bool {
        for _ in 0..<40 {
            if let scrape = try? NerdCommand.run(["scrape", torrent, "--json", "--timeout", "3"], timeout: 20),
               let trackers = json(scrape.stdout)["trackers"] as? [[String: Any]],
               (trackers.first?["complete"] as? Int ?? 0) >= 1
            {
                return true
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        return false
    }

    @Test func aria2FindsNerdSeedThroughNerdTracker() throws {
        guard ready(), Prerequisite.check(Prerequisite.which("aria2c") != nil, "aria2c (Debian aria2)"),
            let aria2 = Prerequisite.which("aria2c")
        else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        guard let (tracker, url) = try startNerdTracker(.http) else { return }
        defer { tracker.stop() }
        let torrent = try makeTorrent(dir, tracker: url)
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:0", "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let get = try Subprocess.run(aria2, [
            "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
            "--seed-time=0", "--interface=127.0.0.1", "--disable-ipv6=true", "--summary-interval=0",
            "--console-log-level=warn", "--bt-tracker-connect-timeout=5", "--bt-tracker-timeout=5",
            "--listen-port=\(BackgroundProcess.freePort())", "--dir=\(dir.path)/out", "--stop=45", torrent,
        ], timeout: 60)
        #expect(get.status == 0, "\(get.stdout) \(get.stderr)\n\(seed.text)")
        #expect(same(dir.path + "/seed/blob.bin", dir.path + "/out/blob.bin"))
    }
}
