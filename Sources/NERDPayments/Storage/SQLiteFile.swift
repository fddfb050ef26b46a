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
        // A file of another kind (the wallet given as the ledger, another program's database)
        // is refused before the migration adds this kind's tables to it.
        let foreign = try database.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
            guard !tables.isEmpty else { return false }
            guard tables.contains("grdb_migrations") else { return true }
            return try migrator.hasBeenSuperseded(db) || migrator.appliedIdentifiers(db).isEmpty
        }
        if foreign { throw SQLiteFileError.foreign(path) }
        try migrator.migrate(database)
        return database
    }

    /// Bytes in the file at `path`, nil if there is none.
    static func size(_ path: String) -> UInt64? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.uint64Value
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

/// A database file that is not the kind expected.
struct SQLiteFileError: Error, CustomStringConvertible {
    let path: String
    static func foreign(_ path: String) -> SQLiteFileError { SQLiteFileError(path: path) }
    var description: String { "\(path) holds another kind of database" }
}
