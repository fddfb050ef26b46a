import Foundation
import NERDTestSupport
import Testing

/// `kill -9` the downloader mid-way and run it again: it completes, and fetches no more than
/// what was missing plus the pieces that were in flight.
@Suite struct ResumeAfterCrashTests {
    func json(_ text: String) -> [String: Any] { JSONOutput.lastObject(in: text) }

    @Test func killedDownloadResumes() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let size = 8_000_000
        let pieceLength = 262_144
        try dir.write("seed/big.bin", TemporaryDirectory.bytes(count: size, seed: 77))
        let torrent = dir.path + "/big.torrent"
        #expect(try NerdCommand.run(["create", dir.path + "/seed/big.bin", "-o", torrent, "--piece-length", String(pieceLength),
                                     "--quiet"]).status == 0)
        let seedPort = BackgroundProcess.freePort()
        // 2 MB/s: the first run is killed after about a third of the file.
        let seed = try BackgroundProcess(NerdCommand.path, ["seed", torrent, "--data", dir.path + "/seed", "--listen",
                                                            "127.0.0.1:\(seedPort)", "--upload-limit", "2000000",
                                                            "--state-dir", dir.path + "/seed-state", "--json"])
        defer { seed.stop() }
        #expect(seed.waitFor("\"ready\": true"), "\(seed.text)")
        let arguments = ["get", torrent, "--out", dir.path + "/out", "--peer", "127.0.0.1:\(seedPort)", "--listen",
                         "127.0.0.1:0", "--state-dir", dir.path + "/state", "--json"]
        let first = try BackgroundProcess(NerdCommand.path, arguments)
        Thread.sleep(forTimeInterval: 1.5)
        first.kill9()

        let second = try NerdCommand.run(arguments, timeout: 60)
        #expect(second.status == 0, "\(second.stderr)")
        let report = json(second.stdout)
        #expect(report["complete"] as? Bool == true)
        let atStart = report["verified_at_start"] as? Int ?? 0
        let downloaded = report["downloaded_this_run"] as? Int ?? Int.max
        #expect(atStart > 0, "nothing survived the crash")
        #expect(atStart < size, "the first run was not interrupted")
        // In flight at most: the request pipeline of one peer (250 blocks) rounded up to pieces.
        let inFlight = 16 * pieceLength
        #expect(downloaded <= size - atStart + inFlight, "fetched \(downloaded) with \(atStart) already verified")
        #expect(FileManager.default.contentsEqual(atPath: dir.path + "/seed/big.bin", andPath: dir.path + "/out/big.bin"))
    }
}
