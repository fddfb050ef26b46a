import Foundation
import NERDTestSupport
import NERDWire
import Testing

/// Transfers between `nerd` and real clients (libtorrent, Transmission) over loopback TCP.
@Suite(.serialized) struct SwarmInteropTests: LibtorrentInterop {
    struct Geometry: Sendable, CustomTestStringConvertible {
        var name: String
        var files: [(String, Int)]
        var pieceSize: Int
        var ltFlags: [String]
        var testDescription: String { name }
    }

    static let geometries: [Geometry] = [
        Geometry(name: "single file, 16 KiB pieces, odd size, v1", files: [("one.bin", 1_000_003)], pieceSize: 16384,
                 ltFlags: ["--v1-only"]),
        Geometry(name: "multi-file hybrid with pad files and an empty file, 256 KiB pieces",
                 files: [("a.bin", 700_001), ("b/empty", 0), ("b/c.txt", 12_345), ("d.bin", 1_300_000)],
                 pieceSize: 262_144, ltFlags: []),
        Geometry(name: "multi-file v1, 4 MiB pieces", files: [("x.bin", 5_000_000), ("y.bin", 4_194_304), ("z", 0)],
                 pieceSize: 4 << 20, ltFlags: ["--v1-only"]),
    ]

    func makeTorrent(_ dir: TemporaryDirectory, _ g: Geometry) throws -> String {
        for (i, (path, size)) in g.files.enumerated() {
            try dir.write("seed/content/" + path, TemporaryDirectory.bytes(count: size, seed: UInt64(100 + i)))
        }
        let torrent = dir.path + "/t.torrent"
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", dir.path + "/seed/content",
                                                          "--out", torrent, "--piece-size", String(g.pieceSize)] + g.ltFlags)
        #expect(json(made.stdout)["ok"] as? Bool == true, "\(made.stderr)")
        return torrent
    }

    @Test(arguments: geometries)
    func libtorrentSeedsNerdDownloads(geometry: Geometry) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let torrent = try makeTorrent(dir, geometry)
        let port = BackgroundProcess.freePort()
        let seed = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "seed", "--torrent", torrent, "--data",
                                                              dir.path + "/seed", "--port", String(port), "--duration", "60"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let get = try NerdCommand.run(["get", torrent, "--out", dir.path + "/out", "--peer", "127.0.0.1:\(port)",
                                       "--listen", "127.0.0.1:0", "--state-dir", dir.path + "/state", "--json"], timeout: 60)
        #expect(get.status == 0, "\(get.stderr)")
        let report = json(get.stdout)
        #expect(report["complete"] as? Bool == true)
        #expect((report["peers"] as? [[String: Any]])?.first?["downloaded"] as? Int ?? 0 > 0)
        for (path, _) in geometry.files {
            #expect(same(dir.path + "/seed/content/" + path, dir.path + "/out/content/" + path), "\(path)")
        }
    }

    /// With `read-cache`, NERD also sends BEP 6 suggest messages, which libtorrent must take.
    @Test(arguments: ["none", "read-cache"])
    func nerdSeedsLibtorrentDownloads(suggest: String) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let g = Self.geometries[1]
        let torrent = try makeTorrent(dir, g)
        let nerdPort = BackgroundProcess.freePort()
        let ltPort = BackgroundProcess.freePort()
        // libtorrent dials NERD (uTP is refused, then encrypted TCP) and NERD dials it too.
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:\(nerdPort)", "--peer", "127.0.0.1:\(ltPort)",
                                                            "--suggest", suggest, "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let get = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "get", "--torrent", torrent, "--out", dir.path + "/out",
                                                         "--port", String(ltPort), "--peer", "127.0.0.1:\(nerdPort)",
                                                         "--timeout", "45"], timeout: 60)
        #expect(json(get.stdout)["ok"] as? Bool == true, "\(get.stdout) \(get.stderr)")
        for (path, _) in g.files {
            #expect(same(dir.path + "/seed/content/" + path, dir.path + "/out/content/" + path), "\(path)")
        }
    }

    @Test func transmissionDownloadsFromNerdSeed() throws {
        guard ready(), Prerequisite.check(Prerequisite.which("transmission-cli") != nil, "transmission-cli"),
            let transmission = Prerequisite.which("transmission-cli")
        else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let g = Self.geometries[0]
        let torrent = try makeTorrent(dir, g)
        let trPort = BackgroundProcess.freePort()
        try FileManager.default.createDirectory(atPath: dir.path + "/tr", withIntermediateDirectories: true)
        let settings = #"{"dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "port-forwarding-enabled": false, "#
            + #""bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1", "peer-port": \#(trPort), "#
            + #""peer-port-random-on-start": false, "rpc-enabled": false, "message-level": 2}"#
        try dir.write("trcfg/settings.json", Array(settings.utf8))
        try dir.write("done.sh", Array("#!/bin/sh\ntouch \"\(dir.path)/tr.done\"\n".utf8))
        chmod(dir.path + "/done.sh", 0o755)
        let client = try BackgroundProcess(transmission, ["-g", dir.path + "/trcfg", "-w", dir.path + "/tr",
                                                          "-p", String(trPort), "-M", "-f", dir.path + "/done.sh", torrent])
        defer { client.stop() }
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:0", "--peer", "127.0.0.1:\(trPort)",
                                                            "--state-dir", dir.path + "/state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && !FileManager.default.fileExists(atPath: dir.path + "/tr.done") {
            Thread.sleep(forTimeInterval: 0.25)
        }
        #expect(FileManager.default.fileExists(atPath: dir.path + "/tr.done"), "\(client.text.suffix(2000))")
        #expect(same(dir.path + "/seed/content/one.bin", dir.path + "/tr/content/one.bin"))
    }

    /// One seed whose upload is capped well below what the leechers could take, three
    /// leechers (two nerd, one libtorrent) that know each other: all complete, and the nerd
    /// leechers received payload from other leechers, not only from the seed.
    @Test func leechersShareWithEachOtherWhenTheSeedIsSlow() throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let g = Geometry(name: "swarm", files: [("movie.bin", 6_000_000)], pieceSize: 65536, ltFlags: ["--v1-only"])
        let torrent = try makeTorrent(dir, g)
        let seedPort = BackgroundProcess.freePort()
        let nerdPorts = [BackgroundProcess.freePort(), BackgroundProcess.freePort()]
        let ltPort = BackgroundProcess.freePort()
        let everyone = ["127.0.0.1:\(seedPort)", "127.0.0.1:\(nerdPorts[0])", "127.0.0.1:\(nerdPorts[1])", "127.0.0.1:\(ltPort)"]

        // 1 MB/s from the seed: alone it would need 6 s per leecher, 18 s for three.
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen", everyone[0],
                                                            "--peer", everyone[3], "--upload-limit", "1000000",
                                                            "--state-dir", dir.path + "/seed-state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        var leechers: [BackgroundProcess] = []
        for (i, port) in nerdPorts.enumerated() {
            let others = everyone.filter { $0 != "127.0.0.1:\(port)" }.flatMap { ["--peer", $0] }
            leechers.append(try BackgroundProcess(NerdCommand.path, ["get", torrent, "--out", dir.path + "/n\(i)", "--listen",
                                                                     "127.0.0.1:\(port)", "--state-dir", dir.path + "/st\(i)",
                                                                     "--seed-after", "--json"] + others))
        }
        let lt = try BackgroundProcess("/usr/bin/python3", [Self.ltPeer, "get", "--torrent", torrent, "--out", dir.path + "/lt",
                                                            "--port", String(ltPort), "--timeout", "90"]
                                                           + everyone.dropLast().flatMap { ["--peer", $0] })
        defer {
            lt.stop()
            leechers.forEach { $0.stop() }
        }
        for leecher in leechers { #expect(leecher.waitFor("\"complete\": true", timeout: 90), "\(leecher.text.suffix(1500))") }
        #expect(lt.wait(timeout: 90) == 0, "\(lt.text.suffix(1500))")
        for (i, leecher) in leechers.enumerated() {
            let report = json(leecher.text)
            let peers = report["peers"] as? [[String: Any]] ?? []
            let fromOthers = peers.filter { $0["address"] as? String != everyone[0] }
                .reduce(0) { $0 + ($1["downloaded"] as? Int ?? 0) }
            #expect(fromOthers > 0, "leecher \(i) got everything from the seed: \(peers)")
            #expect(same(dir.path + "/seed/content/movie.bin", dir.path + "/n\(i)/content/movie.bin"))
        }
        #expect(same(dir.path + "/seed/content/movie.bin", dir.path + "/lt/content/movie.bin"))
    }
}
