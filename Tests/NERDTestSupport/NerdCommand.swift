import Foundation

/// The built `nerd` executable (`NERD_BIN`, else `.build/debug/nerd` in the package).
public enum NerdCommand {
    public static var path: String {
        if let env = ProcessInfo.processInfo.environment["NERD_BIN"], !env.isEmpty { return env }
        return SharedMaterial.packageRoot.appendingPathComponent(".build/debug/nerd").path
    }

    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: path) }

    public static func run(_ arguments: [String], timeout: Double = 120, environment: [String: String]? = nil) throws -> Subprocess.Result {
        try Subprocess.run(path, arguments, timeout: timeout, environment: environment)
    }
}
