import Foundation
import Testing

/// Decides whether an interop or conformance test can run. When it cannot, it prints the
/// reason and the test returns early; under CI (`CI=true`) the missing prerequisite is
/// recorded as a failure instead, so a green CI always means the test ran.
public enum Prerequisite {
    /// - Returns: whether the test may go on.
    public static func check(_ available: Bool, _ what: String,
                             sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if available { return true }
        if SharedMaterial.isCI {
            Issue.record("required under CI but missing: \(what)", sourceLocation: sourceLocation)
        } else {
            print("skipped: \(what) is missing")
        }
        return false
    }

    public static func sharedMaterial(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        check(SharedMaterial.isAvailable, "shared material at \(SharedMaterial.root.path) (set NERD_SHARED)",
              sourceLocation: sourceLocation)
    }

    /// Whether `/usr/bin/python3` can import libtorrent (Debian `python3-libtorrent`).
    public static var hasLibtorrent: Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { return false }
        let result = try? Subprocess.run("/usr/bin/python3", ["-c", "import libtorrent"], timeout: 30)
        return result?.status == 0
    }

    /// The full path of a program on PATH, if any.
    public static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
