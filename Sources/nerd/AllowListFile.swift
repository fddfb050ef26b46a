import ArgumentParser
import Foundation
import NERDCrypto
import NERDTracker
import NERDWire
import Synchronization

/// The `--allow` file of `nerd tracker`: 40 hex digits per line, blank lines and `#` comments
/// skipped, LF or CRLF line ends.
enum AllowListFile {
    /// - Returns: the info-hashes in file order (duplicates kept).
    /// - Throws: `WireError` (unreadable, over 256 MiB) or `ValidationError` naming the file and
    ///   line of the first bad entry.
    static func read(_ path: String) throws -> [[UInt8]] {
        let bytes = try readFile(path, limit: 256 << 20)
        var hashes: [[UInt8]] = []
        // Split on the byte, not on Characters: "\r\n" is one Character and would hide the lines.
        for (number, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let trimmed = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard trimmed.count == 40, let hash = Hex.decode(trimmed) else {
                throw ValidationError("\(path):\(number + 1): not a 40-digit hex info-hash: \(trimmed.prefix(60))")
            }
            hashes.append(hash)
        }
        return hashes
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
            printToStandardError(
                "SIGHUP: allow-list reread from \(path): \(Set(hashes).count) torrents allowed, \(dropped) swarms dropped")
        } catch let error as WireError {
            printToStandardError("SIGHUP: allow-list kept unchanged: \(error.code.rawValue): \(error.reason)")
        } catch {
            printToStandardError("SIGHUP: allow-list kept unchanged: \(error)")
        }
    }
}
