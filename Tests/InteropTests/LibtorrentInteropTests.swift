import Foundation
import NERDTestSupport
import NERDWire
import Testing

/// Torrents made by NERD are read by libtorrent (python3-libtorrent, through the shared
/// harness) with the same info-hashes, and torrents made by libtorrent and mktorrent are read
/// by `nerd info` with the hashes libtorrent computes.
@Suite(.serialized) struct LibtorrentInteropTests: LibtorrentInterop {
    /// The final JSON line a harness or `nerd --json` command printed.
    func lastJSON(_ text: String) throws -> [String: Any] {
        let line = text.split(separator: "\n").last.map(String.init) ?? "{}"
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    func ltInfo(_ torrent: String) throws -> [String: Any] {
        let result = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "info", "--torrent", torrent], timeout: 60)
        return try lastJSON(result.stdout)
    }

    func nerdInfo(_ torrent: String) throws -> [String: Any] {
        let result = try NerdCommand.run(["info", "--json", torrent])
        #expect(result.status == 0, "\(result.stderr)")
        return try lastJSON(result.stdout)
    }

    static func makeContent(_ dir: TemporaryDirectory) throws {
        try dir.write("content/album/01.flac", TemporaryDirectory.bytes(count: 700_001, seed: 11))
        try dir.write("content/album/02.flac", TemporaryDirectory.bytes(count: 65_536, seed: 12))
        try dir.write("content/album/art/cover.jpg", TemporaryDirectory.bytes(count: 12_345, seed: 13))
        try dir.write("content/album/empty.txt", [])
        try dir.write("content/single.iso", TemporaryDirectory.bytes(count: 1_234_567, seed: 14))
    }

    @Test(arguments: ["--v1", "--hybrid", "--v2"])
    func libtorrentAcceptsWhatNerdCreates(format: String) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.makeContent(dir)
        for content in ["album", "single.iso"] {
            let torrent = dir.path + "/\(content).torrent"
            let made = try NerdCommand.run(["create", dir.path + "/content/" + content, "-o", torrent, format, "--quiet",
                                            "--tracker", "http://127.0.0.1:6969/announce"])
            #expect(made.status == 0, "\(made.stderr)")
            let lt = try ltInfo(torrent)
            let ours = try nerdInfo(torrent)
            #expect(lt["ok"] as? Bool == true, "libtorrent rejected \(content) \(format): \(lt["error"] ?? "")")
            #expect(lt["v1"] as? String == ours["info_hash_v1"] as? String)
            #expect(lt["v2"] as? String == ours["info_hash_v2"] as? String)
            #expect(lt["pieces"] as? Int == ours["num_pieces"] as? Int)
            #expect(lt["piece_length"] as? Int == ours["piece_length"] as? Int)
            // libtorrent counts the pad files it adds to v2-only torrents; `nerd info` lists none.
            if format != "--v2" { #expect(lt["files"] as? Int == (ours["files"] as? [Any])?.count) }
        }
    }

    /// Same content, same piece length, same format: libtorrent and NERD must build the very
    /// same info dictionary, so the info-hashes are equal. This checks NERD's v1 piece hashes,
    /// v2 merkle roots, piece layers and pad-file layout against libtorrent's own.
    @Test(arguments: [("--v1", "--v1-only"), ("--hybrid", ""), ("--v2", "--v2-only")])
    func sameContentGivesLibtorrentsInfoHash(format: String, ltFlag: String) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.makeContent(dir)
        let ours = dir.path + "/nerd.torrent"
        let theirs = dir.path + "/lt.torrent"
        let data = dir.path + "/content/single.iso"
        #expect(try NerdCommand.run(["create", data, "-o", ours, format, "--piece-length", "65536", "--quiet"]).status == 0)
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", data, "--out", theirs,
                                                          "--piece-size", "65536"] + (ltFlag.isEmpty ? [] : [ltFlag]), timeout: 60)
        #expect(try lastJSON(made.stdout)["ok"] as? Bool == true, "\(made.stderr)")
        let a = try nerdInfo(ours)
        let b = try nerdInfo(theirs)
        #expect(a["info_hash_v1"] as? String == b["info_hash_v1"] as? String)
        #expect(a["info_hash_v2"] as? String == b["info_hash_v2"] as? String)
    }

    @Test(arguments: ["", "--v1-only", "--v2-only"])
    func nerdReadsWhatLibtorrentCreates(flag: String) throws {
        guard ready() else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.makeContent(dir)
        let torrent = dir.path + "/lt.torrent"
        let made = try Subprocess.run("/usr/bin/python3", [Self.ltPeer, "make", "--data", dir.path + "/content/album",
                                                          "--out", torrent, "--tracker", "http://127.0.0.1:6969/announce",
                                                          "--webseed", "http://127.0.0.1:8080/"] + (flag.isEmpty ? [] : [flag]),
                                      timeout: 60)
        let lt = try lastJSON(made.stdout)
        #expect(lt["ok"] as? Bool == true, "\(made.stderr)")
        let ours = try nerdInfo(torrent)
        #expect(ours["info_hash_v1"] as? String == lt["v1"] as? String)
        #expect(ours["info_hash_v2"] as? String == lt["v2"] as? String)
        #expect(ours["num_pieces"] as? Int == lt["pieces"] as? Int)
        #expect(ours["name"] as? String == "album")
        #expect(ours["web_seeds"] as? [String] == ["http://127.0.0.1:8080/"])
    }

    @Test func nerdReadsWhatMktorrentCreates() throws {
        guard ready(), Prerequisite.check(Prerequisite.which("mktorrent") != nil, "mktorrent on PATH"),
            let mktorrent = Prerequisite.which("mktorrent")
        else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Self.makeContent(dir)
        for content in ["album", "single.iso"] {
            let torrent = dir.path + "/\(content)-mk.torrent"
            let made = try Subprocess.run(mktorrent, ["-t", "2", "-l", "15", "-a", "http://127.0.0.1:6969/announce",
                                                      "-c", "made by mktorrent", "-o", torrent, dir.path + "/content/" + content],
                                          timeout: 60)
            #expect(made.status == 0, "\(made.stderr)")
            let lt = try ltInfo(torrent)
            let ours = try nerdInfo(torrent)
            #expect(lt["ok"] as? Bool == true)
            #expect(ours["info_hash_v1"] as? String == lt["v1"] as? String)
            #expect(ours["num_pieces"] as? Int == lt["pieces"] as? Int)
            #expect(ours["piece_length"] as? Int == 32768)
            #expect(ours["comment"] as? String == "made by mktorrent")
        }
    }
}
