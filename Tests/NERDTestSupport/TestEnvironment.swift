import Foundation

public enum TestEnvironment {
    /// The environment programs started by tests get: this process's, with the loopback-only
    /// guard on, so a `nerd` under test that tries to reach any other address fails.
    public static var forChildren: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NERD_LOOPBACK_ONLY"] = "1"
        return environment
    }
}
