import Foundation
import Testing

/// What the libtorrent interop suites share: the `lt_peer.py` driver, the prerequisite check
/// (shared material, Debian's python3-libtorrent, a built `nerd`) and two small helpers.
public protocol LibtorrentInterop {}

extension LibtorrentInterop {
    /// `harness/lt_peer.py` in the shared material.
    public static var ltPeer: String { SharedMaterial.harness.appendingPathComponent("lt_peer.py").path }

    /// Whether the suite can run (under CI a missing prerequisite is a failure).
    public func ready(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        Prerequisite.sharedMaterial(sourceLocation: sourceLocation)
            && Prerequisite.check(Prerequisite.hasLibtorrent, "python3-libtorrent for /usr/bin/python3", sourceLocation: sourceLocation)
            && Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)", sourceLocation: sourceLocation)
    }

    /// The last JSON object a program printed.
    public func json(_ text: String) -> [String: Any] { JSONOutput.lastObject(in: text) }

    /// Two files with the same bytes.
    public func same(_ a: String, _ b: String) -> Bool { FileManager.default.contentsEqual(atPath: a, andPath: b) }
}
