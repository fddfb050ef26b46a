import Foundation

/// Locates the read-only shared material (`../shared` beside the package, or `NERD_SHARED`).
public enum SharedMaterial {
    /// The package root (the folder holding Package.swift).
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    /// `NERD_SHARED`, else `<package root>/../shared`.
    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["NERD_SHARED"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    public static var torrentCorpus: URL { root.appendingPathComponent("corpus/torrents") }
    public static var harness: URL { root.appendingPathComponent("harness") }
    /// BSV vectors: NERD's own (`keys.json`, `p2pkh_1in_2out.json`, ...) and `upstream/`.
    public static var bsvVectors: URL { root.appendingPathComponent("vectors/bsv") }

    /// Parses a JSON file of the shared material (`path` relative to its root).
    public static func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(path)))
    }

    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: torrentCorpus.appendingPathComponent("INDEX.md").path)
    }

    /// True under CI (`CI=true`), where a conformance or interop test that cannot run fails.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}
