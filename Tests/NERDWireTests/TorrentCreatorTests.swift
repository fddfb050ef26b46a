import Foundation
import NERDCrypto
import NERDTestSupport
import NERDWire
import Testing

@Suite struct TorrentCreatorTests {
    @Test(arguments: [
        (Int64(1), 16384), (Int64(16 << 20), 16384), (Int64(32 << 20), 32768),
        (Int64(1) << 30, 1 << 20), (Int64(1) << 40, 16 << 20),
    ])
    func automaticPieceLengthAimsAtUpTo2000Pieces(size: Int64, expected: Int) {
        #expect(TorrentCreator.automaticPieceLength(totalSize: size) == expected)
    }

    /// Every v1 piece hash equals SHA-1 of the bytes it covers, across file boundaries.
    @Test func v1PiecesHashTheConcatenatedFiles() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let a = TemporaryDirectory.bytes(count: 40_000, seed: 3)
        let b = TemporaryDirectory.bytes(count: 30_001, seed: 4)
        try dir.write("pack/a.bin", a)
        try dir.write("pack/b/c.bin", b)
        try dir.write("pack/.git/config", [1])
        var options = TorrentCreator.Options()
        options.pieceLength = 16384
        options.threads = 3
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/pack", options: options))
        let all = a + b
        #expect(metainfo.files.map(\.pathString) == ["pack/a.bin", "pack/b/c.bin"])
        #expect(metainfo.pieceCount == 5)
        for piece in 0..<metainfo.pieceCount {
            let start = piece * 16384
            #expect(metainfo.pieceHash(piece).map(Array.init) == SHA1.hash(all[start..<min(all.count, start + 16384)]))
        }
        options.includeHidden = true
        let withHidden = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/pack", options: options))
        #expect(withHidden.files.map(\.pathString) == ["pack/.git/config", "pack/a.bin", "pack/b/c.bin"])
    }

    /// A hybrid torrent parses back with matching v1 and v2 views, pad files where BEP 47
    /// puts them, and piece layers that verify.
    @Test func hybridRoundTrip() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("set/big.bin", TemporaryDirectory.bytes(count: 100_000, seed: 5))
        try dir.write("set/empty", [])
        try dir.write("set/small.bin", TemporaryDirectory.bytes(count: 10, seed: 6))
        var options = TorrentCreator.Options()
        options.version = .hybrid
        options.pieceLength = 32768
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/set", options: options))
        #expect(metainfo.version == .hybrid)
        #expect(metainfo.infoHashes.v1 != nil && metainfo.infoHashes.v2 != nil)
        #expect(metainfo.files.map(\.isPadFile) == [false, true, false, false, true])
        #expect(metainfo.files.filter { !$0.isPadFile }.allSatisfy { $0.length == 0 || $0.offset % 32768 == 0 })
        #expect(metainfo.pieceLayers.count == 1)  // only big.bin spans more than one piece
        #expect(metainfo.files[0].piecesRoot.flatMap { metainfo.pieceLayers[$0] }?.count == 4 * 32)
    }

    /// Pieces larger than the read chunk are streamed through the hasher; same hashes.
    @Test func largePiecesAreStreamedCorrectly() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let a = TemporaryDirectory.bytes(count: 700_000, seed: 7)
        let b = TemporaryDirectory.bytes(count: 900_001, seed: 8)
        try dir.write("big/a", a)
        try dir.write("big/b", b)
        var options = TorrentCreator.Options()
        options.pieceLength = 512 * 1024
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/big", options: options))
        let all = a + b
        #expect(metainfo.pieceCount == 4)
        for piece in 0..<metainfo.pieceCount {
            let start = piece * 512 * 1024
            #expect(metainfo.pieceHash(piece).map(Array.init) == SHA1.hash(all[start..<min(all.count, start + 512 * 1024)]))
        }
    }

    @Test func refusesBadInput() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("zero/empty", [])
        #expect(throws: WireError.self) { try TorrentCreator.create(from: dir.path + "/zero") }
        #expect(throws: WireError.self) { try TorrentCreator.create(from: dir.path + "/missing") }
        try dir.write("one", [1])
        var options = TorrentCreator.Options()
        options.pieceLength = 1000
        #expect(throws: WireError.self) { try TorrentCreator.create(from: dir.path + "/one", options: options) }
    }
}

@Suite struct TorrentCreatorSafetyTests {
    @Test func symlinkLoopsAreRefused() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("loop/file", [1])
        symlink(dir.path + "/loop", dir.path + "/loop/again")
        #expect(throws: WireError.self) { try TorrentCreator.create(from: dir.path + "/loop") }
    }

    @Test func unreadableEntriesAreErrorsNotSilentlyDropped() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("c/ok", [1])
        symlink(dir.path + "/nowhere", dir.path + "/c/dangling")
        #expect(throws: WireError.self) { try TorrentCreator.create(from: dir.path + "/c") }
    }

    @Test func oneFileFolderKeepsItsFileName() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("one/inner.txt", [1, 2, 3])
        for version in [MetainfoVersion.v1, .hybrid, .v2] {
            var options = TorrentCreator.Options()
            options.version = version
            let m = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/one", options: options))
            #expect(m.files.filter { !$0.isPadFile }.map(\.pathString) == ["one/inner.txt"], "\(version)")
        }
    }

    @Test func tooManyPiecesIsRefusedBeforeHashing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        // A sparse 64 GiB file: 4 Mi pieces of 16 KiB, over the limit; nothing is read.
        let path = dir.path + "/huge"
        let fd = open(path, O_CREAT | O_WRONLY, 0o644)
        ftruncate(fd, 64 << 30)
        close(fd)
        var options = TorrentCreator.Options()
        options.pieceLength = 16384
        #expect(throws: WireError.self) { try TorrentCreator.create(from: path, options: options) }
    }
}
