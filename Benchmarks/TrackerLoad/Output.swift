import Glibc

/// Unbuffered writes to the standard streams (stdio's globals are not concurrency-safe in Swift 6).
func writeOut(_ text: String) { write(descriptor: 1, text) }

func printError(_ text: String) { write(descriptor: 2, text + "\n") }

private func write(descriptor: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        offset += written
    }
}
