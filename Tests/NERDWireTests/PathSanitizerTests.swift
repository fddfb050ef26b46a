import NERDWire
import Testing

@Suite struct PathSanitizerTests {
    @Test(arguments: [
        (["..", "..", "etc", "passwd"], ["etc", "passwd"]),
        (["/", "/", "bar"], ["bar"]),
        (["abc/../../def", "x"], ["abc....def", "x"]),
        (["", ""], ["_", "_"]),
        ([".", "."], ["_"]),
        (["\\windows", "sys"], ["windows", "sys"]),
        (["a\u{1}b"], ["a_b"]),
        (["ok.txt"], ["ok.txt"]),
        (["..."], ["..."]),
    ])
    func sanitisesPaths(raw: [String], expected: [String]) {
        #expect(PathSanitizer.sanitize(path: raw.map { Array($0.utf8) }) == expected)
    }

    @Test func invalidUTF8BecomesUnderscore() {
        #expect(PathSanitizer.sanitize(element: [0x82, 0x65, 0x73, 0x74]) == "_est")
        #expect(PathSanitizer.sanitize(element: [0xC0, 0xAF]) == "__")  // overlong '/'
    }

    @Test func longElementsKeepTheirExtension() {
        let name = String(repeating: "x", count: 300) + ".mkv"
        let result = PathSanitizer.sanitize(element: Array(name.utf8))
        #expect(result == String(repeating: "x", count: 240) + ".mkv")
    }

    @Test func traversalInATorrentStaysInside() throws {
        // A multi-file torrent whose paths try to climb out, plus a duplicate.
        let info = "d5:filesld6:lengthi3e4:pathl2:..2:..6:passwdeed6:lengthi3e4:pathl1:/6:passwdeee"
            + "4:name2:..12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"
        let metainfo = try Metainfo(bytes: Array("d4:info\(info)e".utf8))
        #expect(metainfo.name == metainfo.infoHashes.v1?.hex)
        #expect(metainfo.files.map(\.path) == [[metainfo.name, "passwd"], [metainfo.name, "passwd.1"]])
    }
}
