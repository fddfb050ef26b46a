import Foundation
import NERDTestSupport
import Testing

/// Magnet links (BEP 9 `ut_metadata`) between `nerd` and libtorrent, both directions, and
/// through a tracker named by the magnet's `tr`.
@Suite(.serialized) struct MagnetInteropTests: LibtorrentInterop {
    /// A hybrid two-file torrent; returns its path, magnet and v1 info-hash.
    func makeTorrent(_ dir: TemporaryDirectory, tracker: String? = nil) throws -> (String, String, String) {
        try dir.write("seed/album/a.bin", TemporaryDirectory.bytes(count: 1_500_001, seed: 21))
        try dir.write("seed/album/b.txt", TemporaryDirectory.bytes(count: 40_000, seed: 22))
        let torrent = dir.path + "/t.torrent"
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", dir.path + "/seed/album", "--out",
                                                          torrent, "--piece-size", "65536"]
                                          + (tracker.map { ["--tracker", $0] } ?? []))
        let result = json(made.stdout)
        return (torrent, result["magnet"] as? String ?? "", result["v1"] as? String ?? "")
    }

    func sameAlbum(_ dir: TemporaryDirectory) -> Bool {
        ["a.bin", "b.txt"].allSatisfy { same(dir.path + "/seed/album/" + $0, dir.path + "/out/album/" + $0) }
    }

    @Test func nerdGetsMagnetFromLibtorrentSeed() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (torrent, magnet, infoHash) = try makeTorrent(dir)
        let seed = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "seed", "--torrent", torrent, "--data",
                                                              dir.path + "/seed", "--port", "0", "--duration", "60"])
        defer { seed.kill9() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let port = try #require(json(seed.text)["port"] as? Int)
        // Two trackers nobody serves: each its own tier, both kept in the saved .torrent.
        let trackers = ["udp://127.0.0.1:9", "http://127.0.0.1:9/announce"]
        let withTrackers = magnet + trackers.map { "&tr=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) }.joined()
        let get = try NerdCommand.run(["get", withTrackers, "--peer", "127.0.0.1:\(port)", "--out", dir.path + "/out",
                                       "--listen", "127.0.0.1:0", "--state-dir", dir.path + "/state", "--json",
                                       "--timeout", "45"], timeout: 60)
        #expect(get.status == 0, "\(get.stdout) \(get.stderr)")
        #expect(json(get.stdout)["info_hash"] as? String == infoHash)
        #expect(sameAlbum(dir))
        // The fetched metadata is kept as a .torrent with the same info-hash.
        let info = try NerdCommand.run(["info", dir.path + "/out/album.torrent", "--json"])
        #expect(json(info.stdout)["info_hash_v1"] as? String == infoHash, "\(info.stdout) \(info.stderr)")
        #expect(json(info.stdout)["trackers"] as? [[String]] == trackers.map { [$0] }, "\(info.stdout)")
    }

    @Test func libtorrentGetsMagnetFromNerdSeed() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (torrent, magnet, _) = try makeTorrent(dir)
        let ltPort = BackgroundProcess.freePort()
        let get = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "get", "--magnet", magnet, "--out", dir.path + "/out",
                                                             "--port", String(ltPort), "--timeout", "45"])
        defer { get.kill9() }
        // libtorrent waits for peers; NERD dials it (libtorrentGetsMagnetByDiallingNerdSeed is the other way).
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:0", "--peer", "127.0.0.1:\(ltPort)",
                                                            "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(get.wait(timeout: 50) == 0, "\(get.text)\n\(seed.text)")
        #expect(json(get.text)["has_metadata"] as? Bool == true)
        #expect(sameAlbum(dir))
    }

    /// libtorrent downloads from a nerd seed given only a magnet link and the seed's address:
    /// it dials the seed (with its default encrypted handshake), fetches the metadata over
    /// BEP 9 `ut_metadata`, then the content.
    @Test func libtorrentGetsMagnetByDiallingNerdSeed() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let (torrent, magnet, _) = try makeTorrent(dir)
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:0", "--no-dht", "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let listen = try #require(json(seed.text)["listen"] as? String)
        let get = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "get", "--magnet", magnet, "--peer", listen,
                                                         "--out", dir.path + "/out", "--timeout", "45"], timeout: 60)
        #expect(json(get.stdout)["ok"] as? Bool == true, "\(get.stdout) \(get.stderr)\n\(seed.text)")
        #expect(json(get.stdout)["has_metadata"] as? Bool == true)
        #expect(sameAlbum(dir))
    }

    @Test func nerdGetsMagnetThroughItsTracker() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let tracker = try BackgroundProcess(NerdCommand.path, ["tracker", "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--json"])
        defer { tracker.stop() }
        #expect(tracker.waitFor("\"ready\": true"), "\(tracker.text)")
        let udp = try #require(json(tracker.text)["udp"] as? String)
        let (torrent, magnet, _) = try makeTorrent(dir, tracker: "udp://\(udp)/announce")
        #expect(magnet.contains("tr="), "\(magnet)")
        let seed = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "seed", "--torrent", torrent, "--data",
                                                              dir.path + "/seed", "--port", "0", "--duration", "60"])
        defer { seed.kill9() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        var seen = false
        for _ in 0..<40 where !seen {
            let scrape = try NerdCommand.run(["scrape", torrent, "--json"], timeout: 20)
            seen = ((json(scrape.stdout)["trackers"] as? [[String: Any]])?.first?["complete"] as? Int ?? 0) >= 1
            if !seen { Thread.sleep(forTimeInterval: 0.5) }
        }
        #expect(seen, "the libtorrent seed never announced")
        let get = try NerdCommand.run(["get", magnet, "--out", dir.path + "/out", "--listen", "127.0.0.1:0",
                                       "--state-dir", dir.path + "/state", "--json", "--timeout", "45"], timeout: 60)
        #expect(get.status == 0, "\(get.stdout) \(get.stderr)")
        #expect(sameAlbum(dir))
    }
}
