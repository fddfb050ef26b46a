import Foundation
import NERDNode
import NERDTestSupport
import Testing

@Suite struct QuickstartTests {
    /// The quickstart moves given content between two nodes on loopback and checks it.
    @Test func sharesAFolderBetweenTwoNodes() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("content/a.bin", TemporaryDirectory.bytes(count: 2_000_000, seed: 31))
        try dir.write("content/b/c.txt", Array("hello".utf8))
        let result = try await Quickstart.run(content: dir.path + "/content", workDirectory: dir.path + "/work")
        #expect(result.identical)
        #expect(result.totalSize == 2_000_005)
        #expect(FileManager.default.contentsEqual(atPath: dir.path + "/content/a.bin",
                                                  andPath: dir.path + "/work/download/content/a.bin"))
        #expect(FileManager.default.fileExists(atPath: result.torrentPath))
    }
}
