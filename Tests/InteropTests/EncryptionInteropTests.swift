import Foundation
import NERDTestSupport
import Testing

/// Message Stream Encryption (MSE/PE) between `nerd` and libtorrent with its default
/// settings (`out_enc_policy` and `in_enc_policy` enabled, `allowed_enc_level` both,
/// `prefer_rc4` off): libtorrent dials with an encrypted handshake first and never falls
/// back to plain against a peer that answers it.
@Suite(.serialized) struct EncryptionInteropTests: LibtorrentInterop {
    /// A 2 MB v1 torrent made by libtorrent from `dir/seed/content`.
    func makeTorrent(_ dir: TemporaryDirectory) throws -> String {
        try dir.write("seed/content/movie.bin", TemporaryDirectory.bytes(count: 2_000_003, seed: 41))
        let torrent = dir.path + "/t.torrent"
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", dir.path + "/seed/content",
                                                          "--out", torrent, "--piece-size", "65536", "--v1-only"])
        #expect(json(made.stdout)["ok"] as? Bool == true, "\(made.stderr)")
        return torrent
    }

    /// libtorrent dials a `nerd seed` — the case that failed before NERD spoke MSE. Under
    /// `enabled` the seed answers the encrypted handshake and, as libtorrent offers both,
    /// picks plaintext for the stream; under `forced` it picks RC4 (and would refuse plain).
    @Test(arguments: [("enabled", "plaintext"), ("forced", "rc4")])
    func libtorrentDialsNerdSeed(policy: String, stream: String) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let torrent = try makeTorrent(dir)
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:0", "--encryption", policy, "--no-dht",
                                                            "--state-dir", dir.path + "/state", "--json"],
                                         environment: ["NERD_LOG": "debug"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let listen = try #require(json(seed.text.split(separator: "\n").filter { $0.contains("\"ready\"") }.joined())["listen"] as? String)
        let get = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "get", "--torrent", torrent, "--out", dir.path + "/out",
                                                         "--peer", listen, "--timeout", "45"], timeout: 60)
        #expect(json(get.stdout)["ok"] as? Bool == true, "\(get.stdout) \(get.stderr)\n\(seed.text.suffix(3000))")
        #expect(same(dir.path + "/seed/content/movie.bin", dir.path + "/out/content/movie.bin"))
        // The seed's log shows libtorrent came in encrypted (never with a plain handshake).
        #expect(seed.text.contains("outgoing=false") && seed.text.contains("stream=\(stream)"), "\(seed.text.suffix(3000))")
        #expect(!seed.text.contains("invalid_handshake"), "\(seed.text.suffix(3000))")
    }

    /// `nerd get --encryption forced` dials a libtorrent seed: an encrypted handshake that
    /// offers RC4 only, so every payload byte is RC4-encrypted both ways.
    @Test func nerdDialsLibtorrentWithEncryptionForced() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let torrent = try makeTorrent(dir)
        let seed = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "seed", "--torrent", torrent, "--data",
                                                              dir.path + "/seed", "--port", "0", "--duration", "60"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let port = try #require(json(seed.text)["port"] as? Int)
        let get = try NerdCommand.run(["get", torrent, "--out", dir.path + "/out", "--peer", "127.0.0.1:\(port)",
                                       "--encryption", "forced", "--listen", "127.0.0.1:0", "--no-dht",
                                       "--state-dir", dir.path + "/state", "--json", "--timeout", "45"], timeout: 60)
        #expect(get.status == 0, "\(get.stdout) \(get.stderr)")
        let peers = json(get.stdout)["peers"] as? [[String: Any]] ?? []
        #expect(peers.first?["encryption"] as? String == "rc4", "\(peers)")
        #expect((peers.first?["downloaded"] as? Int ?? 0) > 0)
        #expect(same(dir.path + "/seed/content/movie.bin", dir.path + "/out/content/movie.bin"))
    }
}
