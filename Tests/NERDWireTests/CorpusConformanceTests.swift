import Foundation
import NERDTestSupport
import NERDWire
import Testing

/// Every file of the shared torrent corpus gets the verdict INDEX.md gives, and every
/// accepted file matches libtorrent's reading in expected.json.
@Suite struct CorpusConformanceTests {
    /// INDEX.md's expected-error kinds mapped to the NERD error codes that express them.
    static let kinds: [String: Set<WireError.Code>] = [
        "bencode strictness": [.invalidBencode],
        "bencode limits": [.bencodeLimitExceeded],
        "structure": [.notADictionary, .missingInfo],
        "name": [.invalidName],
        "piece length": [.invalidPieceLength],
        "pieces": [.invalidPieces],
        "length": [.invalidLength],
        "path": [.invalidPath],
        // invalid_symlink.torrent's broken symlink list swallows the path list, which
        // libtorrent reports as an invalid name (INDEX.md: "-> invalid name").
        "symlink": [.invalidSymlink, .invalidPath],
        "limits": [.metainfoLimitExceeded],
        "hybrid consistency": [.inconsistentHybrid],
        "v2 file tree": [.invalidFileTree, .missingPiecesRoot],
        "piece layers": [.invalidPieceLayer],
        "padding (BEP 47)": [.invalidPadFile],
    ]

    struct Row { var file: String; var verdict: String; var kind: String }

    /// The verdict table rows of INDEX.md.
    static func indexRows() throws -> [Row] {
        let text = try String(contentsOf: SharedMaterial.torrentCorpus.appendingPathComponent("INDEX.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 4, cells[1].hasPrefix("`"), ["ACCEPT", "REJECT"].contains(cells[2]) else { return nil }
            return Row(file: cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")), verdict: cells[2], kind: cells[3])
        }
    }

    static func expected() throws -> [String: [String: Any]] {
        let data = try Data(contentsOf: SharedMaterial.torrentCorpus.appendingPathComponent("expected.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
    }

    @Test func everyCorpusFileGetsItsVerdict() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let rows = try Self.indexRows()
        let expected = try Self.expected()
        #expect(rows.count == 111)
        var passed = 0
        for row in rows {
            let bytes = try [UInt8](Data(contentsOf: SharedMaterial.torrentCorpus.appendingPathComponent(row.file)))
            let result = Result { () throws(WireError) in try Metainfo(bytes: bytes) }
            switch (row.verdict, result) {
            case ("REJECT", .failure(let error)):
                let allowed = Self.kinds[row.kind] ?? []
                #expect(allowed.contains(error.code), "\(row.file): kind '\(row.kind)' but got \(error)")
                if allowed.contains(error.code) { passed += 1 }
            case ("REJECT", .success):
                Issue.record("\(row.file) must be rejected (\(row.kind))")
            case ("ACCEPT", .failure(let error)):
                Issue.record("\(row.file) must load, got \(error)")
            case ("ACCEPT", .success(let metainfo)):
                guard let reference = expected[row.file] else {
                    Issue.record("\(row.file) missing from expected.json")
                    continue
                }
                if Self.matches(metainfo, reference, file: row.file) { passed += 1 }
            default:
                Issue.record("unknown verdict \(row.verdict)")
            }
        }
        print("corpus conformance: \(passed) of \(rows.count) files pass")
        #expect(passed == rows.count)
    }

    /// Compares with libtorrent's reading; records each difference.
    static func matches(_ m: Metainfo, _ e: [String: Any], file: String) -> Bool {
        var ok = true
        func check(_ condition: Bool, _ what: String) {
            if !condition {
                Issue.record("\(file): \(what) differs")
                ok = false
            }
        }
        check(m.name == e["name"] as? String, "name (\(m.name))")
        check(m.infoHashes.v1?.hex == e["info_hash_v1"] as? String, "info_hash_v1")
        check(m.infoHashes.v2?.hex == e["info_hash_v2"] as? String, "info_hash_v2")
        check(m.pieceLength == e["piece_length"] as? Int, "piece_length")
        check(m.pieceCount == e["num_pieces"] as? Int, "num_pieces")
        check(m.totalSize == (e["total_size"] as? NSNumber)?.int64Value, "total_size")
        check(m.webSeeds.map(\.url) == e["web_seeds"] as? [String], "web_seeds \(m.webSeeds.map(\.url))")
        check(m.isPrivate == e["private"] as? Bool, "private")
        // libtorrent shuffles within a tier, so compare each tier as a set.
        let tiers = (e["trackers"] as? [[Any]] ?? []).reduce(into: [Int: Set<String>]()) { acc, pair in
            if let url = pair[0] as? String, let tier = pair[1] as? Int { acc[tier, default: []].insert(url) }
        }
        check(Dictionary(uniqueKeysWithValues: m.trackers.enumerated().map { ($0.offset, Set($0.element)) }) == tiers, "trackers")
        let files = e["files"] as? [[String: Any]] ?? []
        check(m.files.count == files.count, "file count \(m.files.count) vs \(files.count)")
        for (ours, theirs) in zip(m.files, files) {
            check(ours.length == (theirs["length"] as? NSNumber)?.int64Value, "length of \(ours.pathString)")
            check(ours.isPadFile == theirs["pad"] as? Bool, "pad flag of \(ours.pathString)")
            // Sanitised spellings may differ (INDEX.md); safety may not.
            check(ours.pathString == theirs["path"] as? String || isSafe(ours.path), "path \(ours.pathString)")
        }
        for f in m.files { check(isSafe(f.path), "unsafe path \(f.path)") }
        return ok
    }

    static func isSafe(_ path: [String]) -> Bool {
        !path.isEmpty && path.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.contains("/") && !$0.contains("\0") }
    }

    @Test func bencodeFuzzInputsNeitherCrashNorHang() throws {
        guard Prerequisite.sharedMaterial() else { return }
        let base = SharedMaterial.torrentCorpus.appendingPathComponent("anacrolix/fuzz")
        var checked = 0
        for folder in ["bencode-Fuzz", "bencode-FuzzInterfaceRoundTrip"] {
            let dir = base.appendingPathComponent(folder)
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() {
                let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
                let inputs = GoFuzzCorpus.inputs(text)
                #expect(!inputs.isEmpty, "\(folder)/\(name) holds no input")
                for input in inputs {
                    checked += 1
                    let clock = ContinuousClock()
                    let start = clock.now
                    _ = try? BencodeDecoder().decode(input)
                    _ = try? Metainfo(bytes: input)
                    #expect(clock.now - start < .seconds(5), "\(name) took too long")
                    // Canonical input must survive a decode/encode round trip.
                    if folder == "bencode-FuzzInterfaceRoundTrip",
                        let sorted = try? BencodeDecoder(requireSortedKeys: true).decode(input)
                    {
                        #expect(try BencodeEncoder.encode(sorted) == input)
                    }
                }
            }
        }
        #expect(checked == 10)
    }
}
