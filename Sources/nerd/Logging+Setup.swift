import Foundation
import Logging

/// Logs go to stderr, so stdout stays clean for `--json`; `NERD_LOG=debug` (or trace, info,
/// notice, warning, error, critical; any case) sets the level, default warning.
enum LogSetup {
    static func bootstrap() {
        var level = Logger.Level.warning
        if let text = Environment.value("NERD_LOG"), !text.isEmpty {
            if let named = Logger.Level(rawValue: text.lowercased()) {
                level = named
            } else {
                // Said once, so a typo does not silently hide the logs someone asked for.
                let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                FileHandle.standardError.write(Data("NERD_LOG=\(text) is not a level (\(names)); logging at warning\n".utf8))
            }
        }
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
