import Foundation
import NERDTestSupport
import Testing

/// NERD and libtorrent in one small DHT on 127.0.0.1 (a fresh network per test): each finds
/// the other's seed by `get_peers` and downloads, with no tracker and no manual peer.
@Suite(.serialized) struct DHTInteropTests: LibtorrentInterop {
    /// A NERD DHT node and a libtorrent DHT node that joined through it; returns the NERD
    /// node's address (the network's entry point).
    func startNetwork(_ dir: TemporaryDirectory) throws -> (String, [BackgroundProcess])? {
        let hub = try BackgroundProcess(NerdCommand.path, ["dht", "--listen", "127.0.0.1:0", "--state", dir.path + "/hub.state",
                                                           "--json"])
        guard hub.waitFor("\"ready\": true"), let address = json(hub.text)["listen"] as? String else {
            Issue.record("nerd dht did not start: \(hub.text)")
            return nil
        }
        let lt = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "dht-node", "--port", String(BackgroundProcess.freePort()),
                                                            "--dht-node", address, "--duration", "90"])
        return (address, [hub, lt])
    }

    /// Polls `nerd dht get-peers` until it finds `expected` peers (at most 30 s).
    func waitForPeers(_ infoHash: String, bootstrap: String, atLeast expected: Int = 1) -> [String] {
        for _ in 0..<30 {
            if let lookup = try? NerdCommand.run(["dht", "get-peers", infoHash, "--listen", "127.0.0.1:0", "--bootstrap", bootstrap,
                                                  "--json"], timeout: 20),
               let peers = json(lookup.stdout)["peers"] as? [String], peers.count >= expected
            {
                return peers
            }
            Thread.sleep(forTimeInterval: 1)
        }
        return []
    }

    func makeTorrent(_ dir: TemporaryDirectory) throws -> (torrent: String, infoHash: String) {
        try dir.write("seed/movie.bin", TemporaryDirectory.bytes(count: 1_800_007, seed: 31))
        let torrent = dir.path + "/t.torrent"
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", dir.path + "/seed/movie.bin", "--out",
                                                          torrent, "--piece-size", "32768"])
        return (torrent, json(made.stdout)["v1"] as? String ?? "")
    }

    @Test func nerdGetsAMagnetFromALibtorrentSeedFoundInTheDHT() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        guard let (entry, network) = try startNetwork(dir) else { return }
        defer { network.forEach { $0.kill9() } }
        let (torrent, infoHash) = try makeTorrent(dir)
        let seed = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "seed", "--torrent", torrent, "--data", dir.path + "/seed",
                                                              "--port", "0", "--dht", "--dht-node", entry, "--duration", "90"])
        defer { seed.kill9() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let port = json(seed.text)["port"] as? Int ?? 0
        #expect(waitForPeers(infoHash, bootstrap: entry).contains("127.0.0.1:\(port)"), "the libtorrent seed's announce is in the DHT")
        let get = try NerdCommand.run(["get", "magnet:?xt=urn:btih:\(infoHash)", "--dht-bootstrap", entry, "--out",
                                       dir.path + "/out", "--listen", "127.0.0.1:0", "--state-dir", dir.path + "/state",
                                       "--json", "--timeout", "60"], timeout: 80)
        #expect(get.status == 0, "\(get.stdout) \(get.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: dir.path + "/seed/movie.bin", andPath: dir.path + "/out/movie.bin"))
    }

    @Test func libtorrentFindsANerdSeedInTheDHT() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        guard let (entry, network) = try startNetwork(dir) else { return }
        defer { network.forEach { $0.kill9() } }
        let (torrent, infoHash) = try makeTorrent(dir)
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen", "127.0.0.1:0",
                                                            "--dht-bootstrap", entry, "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let listen = json(seed.text)["listen"] as? String ?? "?"
        #expect(waitForPeers(infoHash, bootstrap: entry).contains(listen), "the NERD seed announced itself")
        let get = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "get", "--torrent", torrent, "--dht", "--dht-node", entry,
                                                         "--out", dir.path + "/out", "--timeout", "60"], timeout: 80)
        #expect(json(get.stdout)["ok"] as? Bool == true, "\(get.stdout) \(get.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: dir.path + "/seed/movie.bin", andPath: dir.path + "/out/movie.bin"))
    }
}
