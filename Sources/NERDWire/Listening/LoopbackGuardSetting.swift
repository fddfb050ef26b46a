#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide loopback-only guard: `NERD_LOOPBACK_ONLY=1` in the environment turns it
/// on for every session, DHT node, tracker server and tracker client, whatever their
/// configuration says (tests and CI set it so nothing can reach past 127.0.0.1).
public enum LoopbackGuardSetting {
    public static var fromEnvironment: Bool {
        guard let value = getenv("NERD_LOOPBACK_ONLY") else { return false }
        return String(cString: value) == "1"
    }
}
