import Foundation
import NERDCrypto
import NERDTracker
import NERDWire
import Synchronization

/// The `--allow` file of `nerd tracker`: one info-hash (40 hex digits) per line; blank lines
/// and `#` comments (whole lines or after the hash) skipped; LF or CRLF line ends; a UTF-8
/// byte-order mark ignored.
enum AllowListFile {
    /// - Returns: the info-hashes in file order (duplicates kept).
    /// - Throws: `WireError` (unreadable, over 256 MiB) or `TrackerError` `.invalidConfiguration`
    ///   naming the file and line of the first bad entry.
    static func read(_ path: String) throws -> [[UInt8]] {
        var bytes = try readFile(path, limit: 256 << 20)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var hashes: [[UInt8]] = []
        // Split on the byte, not on Characters: "\r\n" is one Character and would hide the lines.
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let entry = line.split(separator: UInt8(ascii: "#"), maxSplits: 1, omittingEmptySubsequences: false)[0]
            let trimmed = String(decoding: entry, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            guard trimmed.count == 40, let hash = Hex.decode(trimmed) else {
                throw TrackerError(.invalidConfiguration, "\(path):\(number + 1): not a 40-digit hex info-hash: \(printable(trimmed.prefix(60)))")
            }
            hashes.append(hash)
        }
        return hashes
    }

    /// Control characters and other non-ASCII shown as `\u{…}`, so a binary line cannot
    /// write to the terminal.
    private static func printable(_ text: Substring) -> String {
        text.unicodeScalars.map { (0x20..<0x7F).contains($0.value) ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
    }

    /// `<kind>: <reason>` for a file that could not be used.
    static func describe(_ error: Error) -> String {
        switch error {
        case let error as WireError: "\(error.code.rawValue): \(error.reason)"
        case let error as TrackerError: "\(error.code): \(error.message)"
        default: "\(error)"
        }
    }
}

/// Rereads the `--allow` file on every SIGHUP and puts it in force.
///
/// Created before the tracker starts, so that no SIGHUP meets the default action (which ends
/// the process) while a large file is read or just after the ready line; one that arrives
/// before the tracker serves is applied as soon as it does.
final class AllowListReloader: Sendable {
    private let path: String?
    private let state = Mutex<(registry: SwarmRegistry?, pending: Bool)>((nil, false))

    init(path: String?) {
        self.path = path
        Signals.onHangup { [self] in hangup() }
    }

    /// The tracker serves from `registry` now.
    func serving(_ registry: SwarmRegistry) {
        let pending = state.withLock { state in
            state.registry = registry
            defer { state.pending = false }
            return state.pending
        }
        if pending { reload(into: registry) }
    }

    private func hangup() {
        let registry = state.withLock { state in
            if state.registry == nil { state.pending = true }
            return state.registry
        }
        if let registry { reload(into: registry) }
    }

    /// The file read again and put in force; if it cannot be read, has a bad line or lists
    /// nothing, the list in force stays (a typo or a half-written file must not open or empty
    /// the tracker).
    private func reload(into registry: SwarmRegistry) {
        guard let path else {
            printToStandardError("SIGHUP: no --allow file to reread; nothing changed")
            return
        }
        do {
            let hashes = try AllowListFile.read(path)
            guard !hashes.isEmpty else {
                printToStandardError("SIGHUP: allow-list kept unchanged: \(path) lists no info-hashes")
                return
            }
            let dropped = registry.replaceAllowList(hashes)
            printToStandardError("SIGHUP: allow-list reread from \(path): \(counted(Set(hashes).count, "torrent")) allowed, "
                                 + "\(counted(dropped, "swarm")) dropped")
        } catch {
            printToStandardError("SIGHUP: allow-list kept unchanged: \(AllowListFile.describe(error))")
        }
    }

    private func counted(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }
}
