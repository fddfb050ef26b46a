import Glibc

/// A failure to report and stop on (usage or socket).
struct LoadError: Error {
    let message: String
    init(_ message: String) { self.message = message }

    /// `what` failed with the current `errno`.
    static func system(_ what: String) -> LoadError { LoadError("\(what): \(String(cString: strerror(errno)))") }
}
