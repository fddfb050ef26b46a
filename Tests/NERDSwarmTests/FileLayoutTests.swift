import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOCore
import Testing

@Suite struct FileLayoutTests {
    /// Two files and a pad file in 16 KiB pieces: a piece spanning a boundary maps to two
    /// segments, and padding maps to no file.
    @Test func segmentsFollowFilesAndPadding() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("c/a", TemporaryDirectory.bytes(count: 20_000, seed: 1))
        try dir.write("c/b", TemporaryDirectory.bytes(count: 5_000, seed: 2))
        var options = TorrentCreator.Options()
        options.pieceLength = 16384
        options.version = .hybrid
        let metainfo = try Metainfo(bytes: TorrentCreator.create(from: dir.path + "/c", options: options))
        let layout = FileLayout(metainfo: metainfo, savePath: dir.path)
        #expect(layout.pieceCount == 3)
        #expect(layout.segments(piece: 0).map(\.file) == [0])
        let second = layout.segments(piece: 1)
        #expect(second.map(\.file) == [0, nil])
        #expect(second.map(\.length) == [20_000 - 16384, 32768 - 20_000])
        #expect(layout.segments(piece: 2).map(\.file) == [2, nil])  // b, then its tail pad
        #expect(layout.files[0].path == dir.path + "/c/a")

        // What storage reads back from the original files hashes to the torrent's pieces.
        let storage = TorrentStorage(layout: layout, pieceHashes: metainfo.pieceHashes)
        for piece in 0..<layout.pieceCount { #expect(storage.check(piece: piece)) }
    }
}
