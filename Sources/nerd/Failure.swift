import ArgumentParser
import Foundation
import NERDWire

/// Prints `<error-kind>: <reason>` on stderr (kinds listed in Docs/errors.md) and exits 1.
func fail(_ error: WireError) -> ExitCode {
    var line = "\(error.code.rawValue): \(error.reason)"
    if let offset = error.offset { line += " (at byte \(offset))" }
    printToStandardError(line)
    return ExitCode(1)
}

/// Reads a whole file, refusing anything over `limit` bytes.
func readFile(_ path: String, limit: Int) throws(WireError) -> [UInt8] {
    guard let file = fopen(path, "rb") else {
        throw WireError(.ioError, "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
        guard bytes.count <= limit else { throw WireError(.bencodeLimitExceeded, "\(path) is larger than \(limit) bytes") }
        if n < chunk.count {
            if ferror(file) != 0 { throw WireError(.ioError, "reading \(path): \(String(cString: strerror(errno)))") }
            return bytes
        }
    }
}

func printToStandardError(_ line: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((line + (newline ? "\n" : "")).utf8))
}

/// Pushes buffered stdout out now, so a driver reading our "ready" line sees it at once.
func flushStandardOutput() {
    FileHandle.standardOutput.synchronizeFile()
    fflush(nil)
}

/// The system's words for a Foundation file error ("Read-only file system"), where
/// Foundation would say "The operation could not be completed".
func systemErrorText(_ error: Error) -> String {
    let error = error as NSError
    let posix = error.domain == NSPOSIXErrorDomain ? error : (error.userInfo[NSUnderlyingErrorKey] as? NSError)
    if let posix, posix.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(posix.code))) }
    return error.localizedDescription
}
