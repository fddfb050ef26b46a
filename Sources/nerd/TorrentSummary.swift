import Foundation
import NERDWire

/// What `nerd info` prints, from a torrent or (with unknown fields as nil) a magnet.
struct TorrentSummary {
    var name: String?
    var infoHashes: InfoHashes
    var version: String?
    var pieceLength: Int?
    var pieceCount: Int?
    var totalSize: Int64?
    var files: [FileEntry]?
    var trackers: [[String]]
    var webSeeds: [String]
    var isPrivate: Bool?
    var comment: String?
    var createdBy: String?
    var creationDate: Int64?
    var magnet: String

    init(metainfo m: Metainfo) {
        name = m.name
        infoHashes = m.infoHashes
        version = m.version.rawValue
        pieceLength = m.pieceLength
        pieceCount = m.pieceCount
        totalSize = m.totalSize
        files = m.files
        trackers = m.trackers
        webSeeds = m.webSeeds.map(\.url)
        isPrivate = m.isPrivate
        comment = m.comment
        createdBy = m.createdBy
        creationDate = m.creationDate
        magnet = MagnetURI(metainfo: m).uriString
    }

    init(magnet m: MagnetURI) {
        name = m.displayName
        infoHashes = m.infoHashes
        trackers = m.trackers.map { [$0] }
        webSeeds = m.webSeeds
        magnet = m.uriString
    }

    var json: JSON {
        .object([
            ("name", .optional(name)),
            ("info_hash_v1", .optional(infoHashes.v1?.hex)),
            ("info_hash_v2", .optional(infoHashes.v2?.hex)),
            ("version", .optional(version)),
            ("piece_length", pieceLength.map { .int(Int64($0)) } ?? .null),
            ("num_pieces", pieceCount.map { .int(Int64($0)) } ?? .null),
            ("total_size", totalSize.map { .int($0) } ?? .null),
            ("files", files.map { list in
                .array(list.map { f in
                    var pairs: [(String, JSON)] = [("path", .string(f.pathString)), ("length", .int(f.length)),
                                                   ("pad", .bool(f.isPadFile))]
                    if let target = f.symlinkTarget { pairs.append(("symlink", .string(target.joined(separator: "/")))) }
                    return .object(pairs)
                })
            } ?? .null),
            ("trackers", .array(trackers.map { .array($0.map(JSON.string)) })),
            ("web_seeds", .array(webSeeds.map(JSON.string))),
            ("private", isPrivate.map(JSON.bool) ?? .null),
            ("comment", .optional(comment)),
            ("created_by", .optional(createdBy)),
            ("creation_date", creationDate.map { .int($0) } ?? .null),
            ("magnet", .string(magnet)),
        ])
    }

    /// Control characters from a torrent could drive the terminal; show them escaped.
    static func printable(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    var text: String {
        var lines: [String] = []
        func add(_ label: String, _ value: String) {
            lines.append(label.padding(toLength: 14, withPad: " ", startingAt: 0) + Self.printable(value))
        }
        add("name:", name ?? "(unknown until metadata is fetched)")
        if let v1 = infoHashes.v1 { add("info-hash v1:", v1.hex) }
        if let v2 = infoHashes.v2 { add("info-hash v2:", v2.hex) }
        if let version { add("format:", version) }
        if let pieceLength, let pieceCount { add("pieces:", "\(pieceCount) × \(ByteCount.format(Int64(pieceLength)))") }
        if let totalSize { add("total size:", "\(ByteCount.format(totalSize)) (\(totalSize) bytes)") }
        if let isPrivate { add("private:", isPrivate ? "yes" : "no") }
        if let comment { add("comment:", comment) }
        if let createdBy { add("created by:", createdBy) }
        for (i, tier) in trackers.enumerated() { add(i == 0 ? "trackers:" : "", "tier \(i): " + tier.joined(separator: ", ")) }
        for (i, seed) in webSeeds.enumerated() { add(i == 0 ? "web seeds:" : "", seed) }
        add("magnet:", magnet)
        if let files {
            let real = files.filter { !$0.isPadFile }
            lines.append("files (\(real.count)\(real.count == files.count ? "" : ", plus \(files.count - real.count) pad")):")
            for f in real.prefix(1000) { lines.append("  \(Self.printable(f.pathString))  \(ByteCount.format(f.length))") }
            if real.count > 1000 { lines.append("  ... \(real.count - 1000) more (use --json for all)") }
        }
        return lines.joined(separator: "\n")
    }
}

enum ByteCount {
    /// Binary units: 1536 → "1.5 KiB".
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded) \(units[unit])"
    }
}
