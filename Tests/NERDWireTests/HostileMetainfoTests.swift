import NERDTestSupport
import NERDWire
import Testing

/// Inputs built to hurt a parser: each gets a typed error or a safe result, quickly.
@Suite struct HostileMetainfoTests {
    func torrent(info: String, extra: String = "") -> [UInt8] { Array("d\(extra)4:info\(info)e".utf8) }

    func code(_ bytes: [UInt8]) -> WireError.Code? {
        do {
            _ = try Metainfo(bytes: bytes)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func longListsDecodeInLinearTime() throws {
        // Quadratic decoding would take minutes on this; linear takes well under a second.
        let text = "l" + String(repeating: "i1e", count: 300_000) + "e"
        let value = try BencodeDecoder().decode(Array(text.utf8))
        #expect(value.list?.count == 300_000)
        let dict = "d" + (0..<50_000).map { String(format: "6:k%05di%de", $0, $0) }.joined() + "e"
        #expect(try BencodeDecoder(requireSortedKeys: true).decode(Array(dict.utf8)).entries?.count == 50_000)
    }

    @Test func hugeLengthsAreRefusedNotOverflowed() {
        let big = Int64.max / 2
        let info = "d5:filesld6:lengthi\(big)e4:pathl1:aeed6:lengthi\(big)e4:pathl1:beee4:name1:x12:piece lengthi16384e6:pieces0:e"
        #expect(code(torrent(info: info)) == .invalidLength)
    }

    @Test func absurdPathDepthIsALimitError() {
        let path = String(repeating: "1:a", count: 20_000)
        let info = "d5:filesld6:lengthi1e4:pathl\(path)eee4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"
        #expect(code(torrent(info: info)) == .metainfoLimitExceeded)
    }

    /// A file named like a folder is renamed, never the folder, whichever comes first, and a
    /// renamed file may push on one named like its new name: the layouts libtorrent 2.0.8 gives
    /// these torrents, so data laid out by one client verifies in the other.
    @Test(arguments: [
        ("d6:lengthi1e4:pathl1:aeed6:lengthi1e4:pathl1:a1:bee", ["x/a.1", "x/a/b"]),
        ("d6:lengthi1e4:pathl1:a1:beed6:lengthi1e4:pathl1:aee", ["x/a/b", "x/a.1"]),
        ("d6:lengthi1e4:pathl1:aeed6:lengthi1e4:pathl3:a.1eed6:lengthi1e4:pathl1:a1:bee", ["x/a.1", "x/a.1.1", "x/a/b"]),
    ])
    func aFileNamedLikeAFolderIsRenamedAsLibtorrentDoes(files: String, layout: [String]) throws {
        let info = "d5:filesl\(files)e4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"
        let m = try Metainfo(bytes: torrent(info: info))
        #expect(m.files.map(\.pathString) == layout)
    }

    @Test func canonicallyEquivalentNamesStayDistinct() throws {
        let nfc = "caf\u{E9}"
        let nfd = "cafe\u{301}"
        let info = "d5:filesld6:lengthi1e4:pathl\(nfc.utf8.count):\(nfc)eed6:lengthi1e4:pathl\(nfd.utf8.count):\(nfd)eee"
            + "4:name1:x12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"
        let m = try Metainfo(bytes: torrent(info: info))
        #expect(m.files.map { Array($0.path[1].utf8) } == [Array(nfc.utf8), Array(nfd.utf8)])
    }

    @Test func namesFitFilesystemLimitsInBytes() {
        let emoji = String(repeating: "\u{1F600}", count: 300)
        let result = PathSanitizer.sanitize(element: Array(emoji.utf8))
        #expect((result?.utf8.count ?? 0) <= 255)
        #expect(PathSanitizer.sanitize(element: Array("a\u{85}b".utf8)) == "a_b")  // C1 control
    }

    @Test func extraHybridPaddingIsInconsistent() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("h/a", TemporaryDirectory.bytes(count: 20_000, seed: 1))
        try dir.write("h/b", TemporaryDirectory.bytes(count: 100, seed: 2))
        var options = TorrentCreator.Options()
        options.version = .hybrid
        options.pieceLength = 16384
        let good = try TorrentCreator.create(from: dir.path + "/h", options: options)
        #expect(try Metainfo(bytes: good).version == .hybrid)
        // Grow the first pad file by one piece: v1 and v2 then lay pieces out differently.
        let text = String(decoding: good, as: UTF8.self)
        let padLength = 32768 - 20_000
        let tampered = text.replacingOccurrences(of: "6:lengthi\(padLength)e", with: "6:lengthi\(padLength + 16384)e")
        #expect(tampered != text)
        #expect(code(Array(tampered.utf8)) != nil)
    }
}
