#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file found under the content path.
struct ContentFile: Sendable {
    /// Path elements below the content root; for a single file, just its name.
    var path: [String]
    /// Absolute or caller-relative path to open.
    var location: String
    var length: Int64
    var isExecutable: Bool
}

/// Lists the files to put in a torrent: a single file, or every regular file under a folder
/// in a stable order (path elements compared as bytes, which is also BEP 52 file-tree order).
enum ContentScanner {
    static func scan(_ root: String, includeHidden: Bool, maxFiles: Int) throws(WireError) -> (name: String, files: [ContentFile], isDirectory: Bool) {
        var st = stat()
        guard stat(root, &st) == 0 else {
            throw WireError(.invalidContent, "cannot read \(root): \(String(cString: strerror(errno)))")
        }
        var trimmed = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        // "." or ".." name no folder; take the real name, as mktorrent does.
        if let last = trimmed.split(separator: "/").last, last == "." || last == "..", let real = realpath(trimmed, nil) {
            trimmed = String(cString: real)
            free(real)
        }
        let name = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        guard name != "." && name != ".." && !name.isEmpty else {
            throw WireError(.invalidContent, "cannot take a torrent name from \(root); name the folder itself")
        }
        if (st.st_mode & S_IFMT) == S_IFREG {
            return (name, [ContentFile(path: [name], location: root, length: Int64(st.st_size),
                                       isExecutable: st.st_mode & 0o111 != 0)], false)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw WireError(.invalidContent, "\(root) is neither a regular file nor a folder")
        }
        var files: [ContentFile] = []
        var ancestors: Set<FileID> = [FileID(st)]
        try walk(trimmed, path: [], includeHidden: includeHidden, maxFiles: maxFiles, ancestors: &ancestors, into: &files)
        files.sort { $0.path.lexicographicallyPrecedes($1.path) { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) } }
        return (name, files, true)
    }

    /// A folder's identity, to notice a symlink leading back to a folder being walked.
    private struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64
        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    private static func walk(_ directory: String, path: [String], includeHidden: Bool, maxFiles: Int,
                             ancestors: inout Set<FileID>, into files: inout [ContentFile]) throws(WireError) {
        guard path.count < 64 else { throw WireError(.invalidContent, "folders nested deeper than 64 under the content root") }
        guard let dir = opendir(directory) else {
            throw WireError(.invalidContent, "cannot list \(directory): \(String(cString: strerror(errno)))")
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let raw = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix(while: { $0 != 0 })) }
            guard let name = String(validating: raw, as: UTF8.self) else {
                closedir(dir)
                let shown = String(decoding: raw, as: UTF8.self)
                throw WireError(.invalidContent, "\(directory)/\(shown) has a name that is not valid UTF-8 (\u{FFFD} marks the bytes); rename it to share the folder")
            }
            if name == "." || name == ".." { continue }
            if !includeHidden, name.hasPrefix(".") { continue }
            names.append(name)
        }
        closedir(dir)
        for name in names {
            let location = directory + "/" + name
            var st = stat()
            // stat, not lstat: a symlink contributes what it points to, as mktorrent does.
            guard stat(location, &st) == 0 else {
                let reason = String(cString: strerror(errno))
                var link = stat()
                if lstat(location, &link) == 0, link.st_mode & S_IFMT == S_IFLNK {
                    throw WireError(.invalidContent, "\(location) is a symbolic link that leads nowhere (\(reason)); remove it or fix it")
                }
                throw WireError(.invalidContent, "cannot read \(location): \(reason)")
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG:
                files.append(ContentFile(path: path + [name], location: location, length: Int64(st.st_size),
                                         isExecutable: st.st_mode & 0o111 != 0))
                guard files.count <= maxFiles else { throw WireError(.invalidContent, "more than \(maxFiles) files") }
            case S_IFDIR:
                let id = FileID(st)
                guard ancestors.insert(id).inserted else {
                    throw WireError(.invalidContent, "\(location) leads back into a folder being shared (symlink loop)")
                }
                try walk(location, path: path + [name], includeHidden: includeHidden, maxFiles: maxFiles,
                         ancestors: &ancestors, into: &files)
                ancestors.remove(id)
            default:
                continue
            }
        }
    }
}
