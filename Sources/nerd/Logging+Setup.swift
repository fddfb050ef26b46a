import Foundation
import Logging

/// Logs go to stderr, so stdout stays clean for `--json`; `NERD_LOG=debug` (or trace, info,
/// warning, error) sets the level, default warning.
enum LogSetup {
    static func bootstrap() {
        let level = Environment.value("NERD_LOG").flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        return String(cString: raw)
    }
}
