import Foundation
import NERDTestSupport
import NERDWire
import Testing

/// Runs the built `nerd` executable as a user would.
@Suite struct InfoCommandTests {
    static let sample = SharedMaterial.packageRoot.appendingPathComponent("Examples/hello-nerd.torrent").path

    func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    @Test func infoJSONOfTheShippedSample() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let result = try NerdCommand.run(["info", "--json", Self.sample])
        #expect(result.status == 0)
        let object = try json(result.stdout)
        let metainfo = try Metainfo(bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.sample))))
        #expect(object["name"] as? String == "hello-nerd")
        #expect(object["info_hash_v1"] as? String == metainfo.infoHashes.v1?.hex)
        #expect(object["info_hash_v2"] as? String == metainfo.infoHashes.v2?.hex)
        #expect(object["piece_length"] as? Int == 16384)
        #expect(object["num_pieces"] as? Int == metainfo.pieceCount)
        #expect(object["total_size"] as? Int == Int(metainfo.totalSize))
        #expect(object["private"] as? Bool == false)
        let files = object["files"] as? [[String: Any]] ?? []
        #expect(files.map { $0["path"] as? String } == metainfo.files.map(\.pathString))
        #expect(files.filter { $0["pad"] as? Bool == true }.count == metainfo.files.filter(\.isPadFile).count)
        #expect(files.first?["path"] as? String == "hello-nerd/hello.txt")
    }

    @Test func infoOfAMagnetLeavesUnknownFieldsNull() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let magnet = "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=Cosmos+Laundromat&tr=udp%3A%2F%2F127.0.0.1%3A6969"
        let result = try NerdCommand.run(["info", "--json", magnet])
        #expect(result.status == 0)
        let object = try json(result.stdout)
        #expect(object["name"] as? String == "Cosmos Laundromat")
        #expect(object["info_hash_v1"] as? String == "c9e15763f722f23e98a29decdfae341b98d53056")
        #expect(object["info_hash_v2"] is NSNull)
        #expect(object["piece_length"] is NSNull)
        #expect(object["num_pieces"] is NSNull)
        #expect(object["total_size"] is NSNull)
        #expect(object["files"] is NSNull)
        #expect(object["trackers"] as? [[String]] == [["udp://127.0.0.1:6969"]])
    }

    @Test(arguments: [
        ("de", "missing_info"),
        ("i1e", "not_a_dictionary"),
        ("d4:infod4:name1:a12:piece lengthi0e6:lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "invalid_piece_length"),
        ("d4:infod4:name1:a12:piece lengthi16384e6:lengthi1e6:pieces3:abcee", "invalid_pieces"),
        ("d4:infod4:name1:a12:piece lengthi16384e6:lengthi-1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "invalid_length"),
        ("i03e", "invalid_bencode"),
        ("magnet:?dn=x", "invalid_magnet"),
    ])
    func rejectedInputExitsNonZeroWithOneKindLine(input: String, kind: String) throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let argument = input.hasPrefix("magnet:") ? input : try dir.write("bad.torrent", Array(input.utf8))
        for flags in [["--json"], []] {
            let result = try NerdCommand.run(["info"] + flags + [argument])
            #expect(result.status != 0)
            #expect(result.stdout.isEmpty)
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix(kind + ": ") == true, "\(result.stderr)")
        }
    }

    @Test func missingFileIsAnIOError() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let result = try NerdCommand.run(["info", "/nonexistent/nerd.torrent"])
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("io_error: "))
    }
}
