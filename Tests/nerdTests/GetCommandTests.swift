import Foundation
import NERDTestSupport
import Testing

/// `nerd get` run as a user runs it (no peers needed for these).
@Suite struct GetCommandTests {
    static let sample = SharedMaterial.packageRoot.appendingPathComponent("Examples/hello-nerd.torrent").path

    /// A state folder that cannot hold resume data is reported at the start, with the
    /// system's reason, and the download still runs.
    @Test func unusableStateFolderIsReportedAtTheStart() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let blocker = try dir.write("not-a-folder", [1])
        let result = try NerdCommand.run(["get", Self.sample, "--out", dir.path + "/out", "--state-dir", blocker + "/state",
                                          "--no-dht", "--no-trackers", "--listen", "127.0.0.1:0", "--timeout", "1"])
        #expect(result.stderr.contains("warning: resume data cannot be saved in \(blocker)/state (Not a directory)"), "\(result.stderr)")
        #expect(result.stdout.contains("timed out after 1 s at 0% (0 peers connected)"), "the download ran: \(result.stdout)")
        #expect(result.status == 1)
    }

    /// With --json, a run that stops before any transfer still prints its one object, with
    /// the error as stderr gives it.
    @Test func earlyFailureIsOneJSONObject() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let blocker = try dir.write("not-a-folder", [1])
        let result = try NerdCommand.run(["get", Self.sample, "--out", blocker + "/out", "--no-dht", "--no-trackers",
                                          "--listen", "127.0.0.1:0", "--json"])
        #expect(result.status == 1)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["complete"] as? Bool == false, "\(result.stdout)")
        #expect((object?["error"] as? String)?.hasPrefix("storage_error: cannot make the download folder") == true, "\(result.stdout)")
        #expect(result.stderr.contains("storage_error: cannot make the download folder"), "\(result.stderr)")
    }

    /// Out-of-range limits are refused with the option named, before anything starts.
    @Test func badLimitsAreRefused() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let cases = [
            (["--max-peers", "0"], "--max-peers must be from 1 to 10000, got 0"),
            (["--max-connections", "100001"], "--max-connections must be from 1 to 100000, got 100001"),
            (["--upload-limit", "-5"], "--upload-limit must be at least 1 byte per second (leave it out for no limit), got -5"),
            (["--download-limit", "0"], "--download-limit must be at least 1 byte per second (leave it out for no limit), got 0"),
        ]
        for (options, message) in cases + [
            (["--only", "1-x"], "--only takes file indices like 0,2,5-7; got 1-x"),
            (["--peer", "127.0.0.1:0"], "--peer must be HOST:PORT with a port from 1 to 65535"),
        ] {
            let result = try NerdCommand.run(["get", Self.sample, "--out", dir.path + "/out", "--no-dht", "--no-trackers"] + options)
            #expect(result.status == 64, "\(options)")
            #expect(result.stderr.contains(message), "\(options): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/out"), "\(options)")
        }
    }

    /// Ctrl-C while a magnet's metadata is still being looked for stops at once with exit 1,
    /// instead of dying by the signal.
    @Test func interruptWhileFetchingMetadataStopsCleanly() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let magnet = "magnet:?xt=urn:btih:" + String(repeating: "ab", count: 20)
        let get = try BackgroundProcess(NerdCommand.path, ["get", magnet, "--out", dir.path + "/out", "--no-dht", "--no-trackers",
                                                           "--peer", "127.0.0.1:9", "--listen", "127.0.0.1:0"])
        defer { get.stop() }
        // Printed once the signals are watched: the interrupt cannot come too early.
        #expect(get.waitFor("fetching metadata"), "\(get.text)")
        get.send(SIGINT)
        let status = get.wait(timeout: 10)
        #expect(status == 1, "\(get.text)")
        #expect(get.text.contains("stopped before the metadata arrived"), "\(get.text)")
    }
}
