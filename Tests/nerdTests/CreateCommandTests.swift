import Foundation
import NERDTestSupport
import NERDWire
import Testing

@Suite struct CreateCommandTests {
    @Test(arguments: ["--v1", "--hybrid", "--v2"])
    func createThenInfoAgree(format: String) throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("show/ep1.bin", TemporaryDirectory.bytes(count: 300_000, seed: 1))
        try dir.write("show/notes/ep2.txt", TemporaryDirectory.bytes(count: 1_000, seed: 2))
        try dir.write("show/.hidden", [1, 2, 3])
        let out = dir.url.appendingPathComponent("show.torrent").path
        let result = try NerdCommand.run([
            "create", dir.url.appendingPathComponent("show").path, "-o", out, format, "--piece-length", "32768",
            "--tracker", "http://127.0.0.1:6969/announce", "--tracker", "udp://127.0.0.1:6969,udp://127.0.0.2:6969",
            "--web-seed", "http://127.0.0.1:8080/files", "--private", "--comment", "made in a test", "--quiet",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let metainfo = try Metainfo(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(metainfo.name == "show")
        #expect(metainfo.pieceLength == 32768)
        #expect(metainfo.isPrivate)
        #expect(metainfo.comment == "made in a test")
        #expect(metainfo.trackers == [["http://127.0.0.1:6969/announce"], ["udp://127.0.0.1:6969", "udp://127.0.0.2:6969"]])
        #expect(metainfo.webSeeds.map(\.url) == ["http://127.0.0.1:8080/files/"])
        #expect(metainfo.files.filter { !$0.isPadFile }.map(\.pathString) == ["show/ep1.bin", "show/notes/ep2.txt"])
        #expect(metainfo.version.rawValue == format.dropFirst(2))
        #expect(result.stdout.contains(metainfo.infoHashes.v1?.hex ?? metainfo.infoHashes.v2!.hex))
    }

    @Test func emptyFolderIsRefused() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try FileManager.default.createDirectory(at: dir.url.appendingPathComponent("empty"), withIntermediateDirectories: true)
        let result = try NerdCommand.run(["create", dir.url.appendingPathComponent("empty").path, "-o", dir.path + "/x.torrent"])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("invalid_content: "))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/x.torrent"))
    }

    @Test func outputIsNotOverwrittenWithoutForce() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("a.bin", [1, 2, 3])
        let out = dir.path + "/a.torrent"
        #expect(try NerdCommand.run(["create", file, "-o", out, "--tracker", "http://127.0.0.1/a?x=1,2"]).status == 0)
        let again = try NerdCommand.run(["create", file, "-o", out])
        #expect(again.status != 0)
        #expect(again.stderr.hasPrefix("io_error: ") && again.stderr.contains("--force"))
        #expect(try NerdCommand.run(["create", file, "-o", out, "--force"]).status == 0)
        let first = try Metainfo(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(first.trackers.isEmpty)  // the forced rewrite named no tracker
    }

    @Test func aCommaInsideOneTrackerURLDoesNotSplitIt() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("a.bin", [1, 2, 3])
        let out = dir.path + "/a.torrent"
        #expect(try NerdCommand.run(["create", file, "-o", out, "--tracker", "http://127.0.0.1/a?x=1,2"]).status == 0)
        let m = try Metainfo(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(m.trackers == [["http://127.0.0.1/a?x=1,2"]])
    }
}

extension CreateCommandTests {
    /// An announce or web-seed URL no client could use is refused before any hashing, and no
    /// torrent is written; tracker schemes only other clients use (https, wss) are kept with a note.
    @Test func unusableURLsAreRefused() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("a.bin", [1, 2, 3])
        let out = dir.path + "/a.torrent"
        let refused = [
            ("--tracker", "ftp://127.0.0.1/announce", "unsupported scheme"), ("--tracker", "127.0.0.1:6969/announce", "not a URL"),
            ("--tracker", "http:///announce", "no host"), ("--tracker", "http://127.0.0.1/a b", "not a URL"),
            ("--tracker", "udp://127.0.0.1:1,gopher://127.0.0.1:2", "unsupported scheme"),
            ("--web-seed", "udp://127.0.0.1/files", "unsupported scheme"),
        ]
        for (option, url, reason) in refused {
            let result = try NerdCommand.run(["create", file, "-o", out, option, url])
            #expect(result.status == 64, "\(url)")
            #expect(result.stderr.contains("\(option) ") && result.stderr.contains(reason), "\(url): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(url)")
        }
        let kept = try NerdCommand.run(["create", file, "-o", out, "--tracker", "HTTPS://127.0.0.1/announce", "--tracker", "wss://127.0.0.1/ws"])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stderr.contains("note: NERD announces over http and udp only"))
        let metainfo = try Metainfo(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: out))))
        #expect(metainfo.trackers == [["HTTPS://127.0.0.1/announce"], ["wss://127.0.0.1/ws"]])
    }
}
