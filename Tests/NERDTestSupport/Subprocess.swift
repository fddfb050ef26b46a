import Foundation

/// Runs a program to completion with a time limit, capturing its output.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public struct TimedOut: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - timeout: seconds before the program is killed and ``TimedOut`` thrown.
    /// - Parameter environment: the child's environment (default: the tests' own, with the
    ///   loopback guard on).
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 120,
                           currentDirectory: URL? = nil, environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.environment = environment ?? TestEnvironment.forChildren
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("nerd-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("nerd-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                // SIGTERM first (a clean stop), then SIGKILL: a program stuck in its own
                // shutdown must not hang the test run.
                process.terminate()
                let grace = Date().addingTimeInterval(10)
                while process.isRunning, Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
                throw TimedOut(description: "\(executable) \(arguments.joined(separator: " ")) ran over \(timeout) s")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return Result(status: process.terminationStatus,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
