import Foundation
import GRDB
import NERDCrypto

/// A BSV wallet in one SQLite file: keys derived from one BIP 32 seed (receive keys at
/// m/0/i, change keys at m/1/i) plus imported WIF keys, the UTXOs they own, and the
/// transactions it made. Every change is one SQLite transaction, so a crash never leaves
/// spent coins counted or a sent transaction forgotten.
///
/// The seed and keys are stored unencrypted; the file is created readable by its owner only.
public final class Wallet: @unchecked Sendable {
    public let network: Network
    let database: DatabaseQueue
    public let path: String

    /// Creates a wallet with a fresh 32-byte seed.
    ///
    /// The wallet is built in a file beside `path` and linked into place only once its seed
    /// is stored, so an interrupted or concurrent create never leaves a wallet without keys
    /// at `path`. An empty file there (from an older interrupted create) holds nothing and is
    /// replaced.
    ///
    /// - Throws: `WalletError.alreadyExists` when a wallet is already at `path`, `.storage`
    ///   when the folder cannot be written.
    public static func create(path: String, network: Network, seed: [UInt8] = SecureRandom.bytes(count: 32)) throws(WalletError) -> Wallet {
        if SQLiteFile.size(path) == 0 { try? FileManager.default.removeItem(atPath: path) }
        guard !FileManager.default.fileExists(atPath: path) else { throw .alreadyExists(path) }
        let master: ExtendedKey
        do { master = try ExtendedKey(seed: seed, network: network) } catch { throw .payments(error) }
        removeAbandonedBuilds(beside: path)
        // A name no other create (this process, another, another container) can pick.
        let building = path + ".creating-" + Hex.encode(SecureRandom.bytes(count: 8))
        defer { try? FileManager.default.removeItem(atPath: building) }
        do {
            let wallet = try Wallet(path: building, creating: true)
            try wallet.write { db in
                try db.execute(sql: "INSERT INTO wallet_meta (key, value) VALUES ('network', ?), ('seed', ?), ('xprv', ?)",
                               arguments: [network.rawValue, Hex.encode(seed), master.string])
            }
            try wallet.database.close()
        } catch let error as WalletError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
        // link(2) fails if `path` appeared meanwhile: a concurrent create keeps its wallet.
        if link(building, path) != 0 {
            let reason = errno
            if reason == EEXIST { throw .alreadyExists(path) }
            // A file system without hard links (vfat, some network mounts): a rename, after a
            // last look, which leaves only a narrow window to a concurrent create.
            guard reason == EPERM || reason == ENOTSUP || reason == EOPNOTSUPP || reason == EXDEV else {
                throw .storage("cannot create \(path): \(String(cString: strerror(reason)))")
            }
            guard !FileManager.default.fileExists(atPath: path) else { throw .alreadyExists(path) }
            guard rename(building, path) == 0 else { throw .storage("cannot create \(path): \(String(cString: strerror(errno)))") }
        }
        return try Wallet(path: path)
    }

    /// How old a `.creating-*` file must be to count as left by a create that was killed.
    static let abandonedBuildAge: TimeInterval = 3600

    /// Deletes `.creating-*` files beside `path` older than ``abandonedBuildAge``: a create
    /// killed before it linked its file into place leaves one, holding a seed nothing uses.
    private static func removeAbandonedBuilds(beside path: String) {
        let folder = (path as NSString).deletingLastPathComponent
        let prefix = (path as NSString).lastPathComponent + ".creating-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder) else { return }
        for name in names where name.hasPrefix(prefix) {
            let file = (folder as NSString).appendingPathComponent(name)
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: file))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(modified) > abandonedBuildAge
            else { continue }
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    /// Opens an existing wallet.
    ///
    /// - Throws: `WalletError.notInitialised` when there is none at `path`, or only an empty
    ///   file; `.storage` when the file is not a NERD wallet or cannot be read.
    public convenience init(path: String) throws(WalletError) {
        guard let size = SQLiteFile.size(path), size > 0 else { throw .notInitialised(path) }
        try self.init(path: path, creating: false)
    }

    private init(path: String, creating: Bool) throws(WalletError) {
        self.path = path
        do {
            database = try SQLiteFile.open(path: path, migrator: Self.migrator, privateFile: creating)
            let raw = try database.read { db in try String.fetchOne(db, sql: "SELECT value FROM wallet_meta WHERE key = 'network'") }
            network = raw.flatMap(Network.init(rawValue:)) ?? .testnet
        } catch let error as SQLiteFileError {
            throw .storage("\(error.path) is not a NERD wallet (it holds another kind of database)")
        } catch {
            throw .storage("\(path): \(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("wallet-v1") { db in
            try db.execute(sql: """
                CREATE TABLE wallet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE wallet_key (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT,
                    secret BLOB NOT NULL,
                    compressed INTEGER NOT NULL,
                    script BLOB NOT NULL UNIQUE
                );
                CREATE TABLE wallet_utxo (
                    txid TEXT NOT NULL,
                    vout INTEGER NOT NULL,
                    satoshis INTEGER NOT NULL,
                    script BLOB NOT NULL,
                    key_id INTEGER NOT NULL REFERENCES wallet_key(id),
                    height INTEGER,
                    spent_by TEXT,
                    PRIMARY KEY (txid, vout)
                );
                CREATE TABLE wallet_tx (
                    txid TEXT PRIMARY KEY,
                    raw BLOB NOT NULL,
                    status TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                """)
        }
        return migrator
    }

    func write<T>(_ body: (Database) throws -> T) throws(WalletError) -> T {
        try access(readOnly: false, body)
    }

    /// A read that takes no write lock.
    func read<T>(_ body: (Database) throws -> T) throws(WalletError) -> T {
        try access(readOnly: true, body)
    }

    private func access<T>(readOnly: Bool, _ body: (Database) throws -> T) throws(WalletError) -> T {
        do {
            return readOnly ? try database.read(body) : try SQLiteFile.write(database, body)
        } catch let error as WalletError {
            throw error
        } catch let error as PaymentsError {
            throw .payments(error)
        } catch {
            throw .storage("\(error)")
        }
    }

    func master(_ db: Database) throws -> ExtendedKey {
        guard let xprv = try String.fetchOne(db, sql: "SELECT value FROM wallet_meta WHERE key = 'xprv'") else {
            throw WalletError.notInitialised(path)
        }
        return try ExtendedKey(xprv)
    }

    /// The first receive address (m/0/0), derived on first use.
    public func receiveAddress() throws(WalletError) -> Address {
        // Read first: once derived, the address needs no write (a read-only wallet file, a
        // backup being inspected, still answers).
        let stored = try read { db in
            try Data.fetchOne(db, sql: "SELECT script FROM wallet_key WHERE path = 'm/0/0'")
        }
        if stored != nil { return try read { db in try self.derivedAddress(db, branch: 0, index: 0) } }
        return try write { db in try self.derivedKey(db, branch: 0, index: 0).address }
    }

    /// The address at m/branch/index, derived without storing anything.
    private func derivedAddress(_ db: Database, branch: UInt32, index: UInt32) throws -> Address {
        let key = try master(db).derive(path: "m/\(branch)/\(index)")
        return WIF(privateKey: key.privateKey!, network: network, compressed: true).address
    }

    /// A receive address not handed out before (m/0/i for the next i).
    public func newReceiveAddress() throws(WalletError) -> Address {
        try write { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wallet_key WHERE path LIKE 'm/0/%'") ?? 0
            return try self.derivedKey(db, branch: 0, index: UInt32(count)).address
        }
    }

    /// Derives (and stores, once) the key at m/branch/index.
    func derivedKey(_ db: Database, branch: UInt32, index: UInt32) throws -> WIF {
        let path = "m/\(branch)/\(index)"
        let key = try master(db).derive(path: path)
        let wif = WIF(privateKey: key.privateKey!, network: network, compressed: true)
        try db.execute(sql: "INSERT OR IGNORE INTO wallet_key (path, secret, compressed, script) VALUES (?, ?, 1, ?)",
                       arguments: [path, Data(wif.privateKey.secret), Data(wif.address.lockingScript.bytes)])
        return wif
    }

    /// Adds a private key (its P2PKH outputs become spendable by this wallet).
    ///
    /// - Throws: `WalletError.networkMismatch` for a key of the other network.
    @discardableResult
    public func importKey(_ wif: WIF) throws(WalletError) -> Address {
        guard wif.network == network else { throw .networkMismatch(wallet: network, requested: wif.network) }
        return try write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO wallet_key (path, secret, compressed, script) VALUES (NULL, ?, ?, ?)",
                           arguments: [Data(wif.privateKey.secret), wif.compressed, Data(wif.address.lockingScript.bytes)])
            return wif.address
        }
    }

    /// Records an output the wallet can spend (one found on an explorer, say), counted as
    /// confirmed.
    ///
    /// - Throws: `WalletError.notOurs` unless `lockingScript` is the P2PKH script of a
    ///   wallet key; `.invalidAmount` for 0 satoshis.
    public func importUTXO(outpoint: Outpoint, satoshis: UInt64, lockingScript: Script, height: UInt32 = 0) throws(WalletError) {
        guard satoshis > 0, satoshis <= Transaction.maxMoney else { throw .invalidAmount(satoshis) }
        try write { db in
            guard let keyID = try Int64.fetchOne(db, sql: "SELECT id FROM wallet_key WHERE script = ?", arguments: [Data(lockingScript.bytes)]) else {
                throw WalletError.notOurs("\(outpoint) is not locked to a key of this wallet")
            }
            try db.execute(sql: """
                INSERT INTO wallet_utxo (txid, vout, satoshis, script, key_id, height) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(txid, vout) DO UPDATE SET height = excluded.height,
                    spent_by = CASE WHEN spent_by = 'elsewhere' THEN NULL ELSE spent_by END
                """, arguments: [outpoint.txid.hex, Int64(outpoint.vout), Int64(satoshis), Data(lockingScript.bytes), keyID, Int64(height)])
        }
    }

    /// Satoshis the wallet holds: confirmed (in a block, or imported) and unconfirmed (not yet
    /// in a block, including change of a transaction still pending broadcast, which `send`
    /// does not spend until the broadcast succeeds).
    public func balance() throws(WalletError) -> (confirmed: UInt64, unconfirmed: UInt64) {
        try read { db in
            let confirmed = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(satoshis), 0) FROM wallet_utxo WHERE spent_by IS NULL AND height IS NOT NULL") ?? 0
            let unconfirmed = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(satoshis), 0) FROM wallet_utxo WHERE spent_by IS NULL AND height IS NULL") ?? 0
            return (UInt64(confirmed), UInt64(unconfirmed))
        }
    }

    /// Raw hex of a transaction this wallet made or received through `faucet`.
    ///
    /// - Throws: `WalletError.unknownTransaction`.
    public func transactionHex(_ txid: TxID) throws(WalletError) -> String {
        try read { db in
            guard let raw = try Data.fetchOne(db, sql: "SELECT raw FROM wallet_tx WHERE txid = ?", arguments: [txid.hex]) else {
                throw WalletError.unknownTransaction(txid.hex)
            }
            return Hex.encode(raw)
        }
    }

    /// One output the wallet counts as its own and has not spent.
    public struct Coin: Sendable, Hashable {
        public var outpoint: Outpoint
        public var satoshis: UInt64
        /// Block height; nil while unconfirmed. Imported outputs are counted as confirmed.
        public var height: UInt32?
        /// Made by a transaction of this wallet (change, a payment to itself, faucet coins),
        /// rather than imported or found on the ledger.
        public var fromWalletTransaction: Bool
        /// Change of a transaction still waiting to be broadcast: not spent until it is.
        public var pending: Bool
    }

    /// The unspent outputs the wallet holds, largest first (the order `send` picks them in).
    public func unspentCoins() throws(WalletError) -> [Coin] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT u.txid, u.vout, u.satoshis, u.height, t.status FROM wallet_utxo u
                LEFT JOIN wallet_tx t ON t.txid = u.txid WHERE u.spent_by IS NULL
                ORDER BY u.height IS NULL, u.satoshis DESC, u.txid, u.vout
                """).map { row in
                let height: Int64? = row["height"]
                let status: String? = row["status"]
                return Coin(outpoint: Outpoint(txid: try TxID(hex: row["txid"]), vout: UInt32(row["vout"] as Int64)),
                            satoshis: UInt64(row["satoshis"] as Int64), height: height.map { UInt32($0) },
                            fromWalletTransaction: status != nil, pending: status == "pending")
            }
        }
    }

    /// Stops counting an unspent output: one imported by mistake (a wrong vout, an output
    /// already spent elsewhere) that every `send` would otherwise pick and have refused.
    /// Nothing on chain changes; `importUTXO` adds it back.
    ///
    /// - Throws: `WalletError.notOurs` when the wallet holds no such unspent output, or a
    ///   wallet transaction made it (those follow their transaction's fate instead).
    public func forgetUTXO(_ outpoint: Outpoint) throws(WalletError) {
        try write { db in
            let arguments: StatementArguments = [outpoint.txid.hex, Int64(outpoint.vout)]
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM wallet_utxo WHERE txid = ? AND vout = ? AND spent_by IS NULL",
                                    arguments: arguments) != nil else {
                throw WalletError.notOurs("\(outpoint) is not an unspent output of this wallet")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM wallet_tx WHERE txid = ?", arguments: [outpoint.txid.hex]) != nil {
                throw WalletError.notOurs("\(outpoint) was made by a transaction of this wallet; it is not forgotten")
            }
            try db.execute(sql: "DELETE FROM wallet_utxo WHERE txid = ? AND vout = ?", arguments: arguments)
        }
    }

    /// The locking scripts of every wallet key.
    func keyScripts() throws(WalletError) -> [Script] {
        try read { db in try Data.fetchAll(db, sql: "SELECT script FROM wallet_key").map { Script(Array($0)) } }
    }
}
