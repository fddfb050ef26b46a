#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes the folder `path` and any missing parents (mode 755), like `mkdir -p`.
/// - Returns: nil once `path` is a folder, else the system's reason ("Read-only file
///   system", "Not a directory"), which FileManager does not always pass on.
package func makeFolders(_ path: String) -> String? {
    var current = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
        current += "/" + component
        if mkdir(current, 0o755) != 0, errno != EEXIST { return String(cString: strerror(errno)) }
    }
    var info = stat()
    guard stat(path, &info) == 0 else { return String(cString: strerror(errno)) }
    return info.st_mode & S_IFMT == S_IFDIR ? nil : String(cString: strerror(ENOTDIR))
}
