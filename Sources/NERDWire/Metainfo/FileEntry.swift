/// BEP 47 file attributes (`attr`): `p` pad, `x` executable, `h` hidden, `l` symlink.
public struct FileAttributes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let padding = FileAttributes(rawValue: 1 << 0)
    public static let executable = FileAttributes(rawValue: 1 << 1)
    public static let hidden = FileAttributes(rawValue: 1 << 2)
    public static let symlink = FileAttributes(rawValue: 1 << 3)

    /// Parses an `attr` string; unknown letters are ignored as BEP 47 requires.
    public init(attr: [UInt8]) {
        var a: FileAttributes = []
        for c in attr {
            switch c {
            case UInt8(ascii: "p"): a.insert(.padding)
            case UInt8(ascii: "x"): a.insert(.executable)
            case UInt8(ascii: "h"): a.insert(.hidden)
            case UInt8(ascii: "l"): a.insert(.symlink)
            default: break
            }
        }
        self = a
    }

    /// The `attr` string for these attributes, `nil` when empty.
    public var attrString: String? {
        var s = ""
        if contains(.padding) { s += "p" }
        if contains(.executable) { s += "x" }
        if contains(.hidden) { s += "h" }
        if contains(.symlink) { s += "l" }
        return s.isEmpty ? nil : s
    }
}

/// One file of a torrent, in torrent order.
public struct FileEntry: Sendable, Hashable {
    /// Path relative to the download folder, already sanitised: for a multi-file torrent the
    /// first element is the torrent's name. No element is empty, `.`, `..` or contains a
    /// separator, so joining them under the download folder never leaves it.
    public var path: [String]
    /// The path elements exactly as the torrent gave them (below the torrent name), before
    /// sanitising; used to compare the v1 and v2 parts of hybrid torrents.
    public var rawPath: [[UInt8]]
    /// Length in bytes (0 for symlinks).
    public var length: Int64
    /// Offset in bytes of the file's first byte in the torrent's piece space.
    public var offset: Int64
    public var attributes: FileAttributes
    /// For symlinks: the sanitised target, relative to the download folder.
    public var symlinkTarget: [String]?
    /// BEP 52 merkle root of the file's 16 KiB blocks (32 bytes); `nil` for v1-only files,
    /// empty files, pad files and symlinks.
    public var piecesRoot: [UInt8]?

    public init(
        path: [String], rawPath: [[UInt8]], length: Int64, offset: Int64, attributes: FileAttributes = [],
        symlinkTarget: [String]? = nil, piecesRoot: [UInt8]? = nil
    ) {
        self.path = path
        self.rawPath = rawPath
        self.length = length
        self.offset = offset
        self.attributes = attributes
        self.symlinkTarget = symlinkTarget
        self.piecesRoot = piecesRoot
    }

    /// A BEP 47 pad file: its bytes are zeros, never written to disk.
    public var isPadFile: Bool { attributes.contains(.padding) }

    /// The path joined with `/`.
    public var pathString: String { path.joined(separator: "/") }
}
