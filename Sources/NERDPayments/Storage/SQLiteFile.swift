import Foundation
import GRDB

/// Opening and writing the SQLite files of the wallet and the ledger the same way: folders
/// created, a 10-second wait when another process holds the lock, schema migrated, and
/// every write one IMMEDIATE transaction (so two processes never interleave a read and a
/// write of the same coins).
enum SQLiteFile {
    /// - Parameter privateFile: create the file readable by its owner only (it holds keys).
    static func open(path: String, migrator: DatabaseMigrator, privateFile: Bool = false) throws -> DatabaseQueue {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        if privateFile && !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var config = Configuration()
        config.busyMode = .timeout(10)
        let database = try DatabaseQueue(path: path, configuration: config)
        try migrator.migrate(database)
        return database
    }

    /// Runs `body` in one IMMEDIATE transaction, committing when it returns.
    static func write<T>(_ database: DatabaseQueue, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try database.inTransaction(.immediate) { db in
            result = try body(db)
            return .commit
        }
        return result!
    }
}
