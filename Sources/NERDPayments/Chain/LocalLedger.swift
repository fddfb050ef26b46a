import Foundation
import GRDB
import NERDCrypto

/// An output the ledger holds unspent.
public struct UnspentOutput: Sendable, Hashable {
    public var outpoint: Outpoint
    public var satoshis: UInt64
    public var lockingScript: Script
    /// Block height of its transaction, nil while unconfirmed.
    public var height: UInt32?
}

/// A local validating ledger in one SQLite file: a stand-in for the BSV network that accepts
/// a transaction only when its inputs exist and are unspent, every input script verifies
/// (`ScriptFlags.standard`), it is final at the next height and it pays at least
/// `minimumFeeRate`. It mints coins and mines blocks on request, for demos and tests.
///
/// Several wallets, and several processes, may share one ledger file; SQLite's locks
/// serialise their writes.
public final class LocalLedger: Broadcaster, @unchecked Sendable {
    private let database: DatabaseQueue
    public let minimumFeeRate: FeeRate

    /// Opens (creating if needed) the ledger at `path`.
    ///
    /// - Throws: `LedgerError.storage` when the file cannot be opened or migrated.
    public init(path: String, minimumFeeRate: FeeRate = .standard) throws(LedgerError) {
        self.minimumFeeRate = minimumFeeRate
        do {
            database = try SQLiteFile.open(path: path, migrator: Self.migrator)
        } catch {
            throw .storage("\(error)")
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("ledger-v1") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                INSERT INTO ledger_meta VALUES ('height', 0);
                CREATE TABLE ledger_tx (
                    txid TEXT PRIMARY KEY,
                    raw BLOB NOT NULL,
                    height INTEGER,
                    received_at INTEGER NOT NULL
                );
                CREATE TABLE ledger_output (
                    txid TEXT NOT NULL,
                    vout INTEGER NOT NULL,
                    satoshis INTEGER NOT NULL,
                    script BLOB NOT NULL,
                    spent_by TEXT,
                    PRIMARY KEY (txid, vout)
                );
                CREATE INDEX ledger_output_script ON ledger_output(script) WHERE spent_by IS NULL;
                """)
        }
        return migrator
    }

    /// Runs `body` in a write transaction, or (`readOnly`) a read that takes no write lock on
    /// a ledger other processes share.
    private func run<T>(readOnly: Bool = false, _ body: (Database) throws -> T) throws(LedgerError) -> T {
        do {
            return readOnly ? try database.read(body) : try SQLiteFile.write(database, body)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
    }

    private static func height(_ db: Database) throws -> UInt32 {
        UInt32(try Int.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'height'") ?? 0)
    }

    /// The height of the last block.
    public func height() throws(LedgerError) -> UInt32 { try run(readOnly: true) { try Self.height($0) } }

    /// Validates and stores a transaction as unconfirmed (mined by the next `mine`). A
    /// transaction the ledger already holds is accepted again without change.
    ///
    /// - Throws: `LedgerError` naming the first rule broken; nothing is written then.
    @discardableResult
    public func submit(_ transaction: Transaction, time: Date = Date()) throws(LedgerError) -> TxID {
        // Serialised once: the txid, the fee's size and the stored bytes all come from it.
        let raw = transaction.serialized
        let txid = TxID(bytes: SHA256.doubleHash(raw))
        return try run { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM ledger_tx WHERE txid = ?", arguments: [txid.hex]) == true { return txid }
            do { try transaction.checkStructure() } catch let error as PaymentsError { throw LedgerError.malformed(error) }
            guard !transaction.isCoinbase else { throw LedgerError.invalidRequest("only the ledger mints coinbase transactions") }
            let height = try Self.height(db)
            guard transaction.isFinal(height: height + 1, time: UInt32(clamping: Int(time.timeIntervalSince1970))) else {
                throw LedgerError.notFinal(lockTime: transaction.lockTime, height: height)
            }
            for (i, output) in transaction.outputs.enumerated() where !Dust.isAllowed(output) { throw LedgerError.dust(output: i) }
            var inputTotal: UInt64 = 0
            var spent: [(satoshis: UInt64, script: Script)] = []
            for input in transaction.inputs {
                guard let row = try Row.fetchOne(db, sql: "SELECT satoshis, script, spent_by FROM ledger_output WHERE txid = ? AND vout = ?",
                                                 arguments: [input.outpoint.txid.hex, Int64(input.outpoint.vout)]) else {
                    throw LedgerError.missingInput(input.outpoint)
                }
                if let by: String = row["spent_by"] {
                    throw LedgerError.alreadySpent(input.outpoint, by: (try? TxID(hex: by)) ?? txid)
                }
                let satoshis = UInt64(row["satoshis"] as Int64)
                let script: Data = row["script"]
                // As the node: the inputs together may not exceed 21 million BSV either
                // (checkStructure already bounds the outputs).
                inputTotal += satoshis
                guard satoshis <= Transaction.maxMoney, inputTotal <= Transaction.maxMoney else {
                    throw LedgerError.malformed(.malformedTransaction("inputs above 21 million BSV"))
                }
                spent.append((satoshis, Script(Array(script))))
            }
            let outputTotal = transaction.totalOutput ?? UInt64.max
            let required = minimumFeeRate.fee(forSize: raw.count)
            guard inputTotal >= outputTotal, inputTotal - outputTotal >= required else {
                throw LedgerError.insufficientFee(paid: Int64(inputTotal) - Int64(min(outputTotal, Transaction.maxMoney)), required: required)
            }
            let hashes = SignatureHash(transaction)
            for (i, input) in transaction.inputs.enumerated() {
                let checker = TransactionSignatureChecker(transaction: transaction, inputIndex: i, satoshis: spent[i].satoshis, hashes: hashes)
                do {
                    try ScriptInterpreter(flags: .standard, checker: checker).verify(unlockingScript: input.unlockingScript, lockingScript: spent[i].script)
                } catch let error as ScriptError {
                    throw LedgerError.scriptFailed(input: i, error)
                }
            }
            try Self.store(transaction, raw: raw, txid: txid, height: nil, db: db)
            return txid
        }
    }

    private static func store(_ transaction: Transaction, raw: [UInt8]? = nil, txid: TxID, height: UInt32?, db: Database) throws {
        try db.execute(sql: "INSERT INTO ledger_tx (txid, raw, height, received_at) VALUES (?, ?, ?, ?)",
                       arguments: [txid.hex, Data(raw ?? transaction.serialized), height.map { Int64($0) }, Int64(Date().timeIntervalSince1970)])
        for input in transaction.inputs where !transaction.isCoinbase {
            try db.execute(sql: "UPDATE ledger_output SET spent_by = ? WHERE txid = ? AND vout = ?",
                           arguments: [txid.hex, input.outpoint.txid.hex, Int64(input.outpoint.vout)])
        }
        for (vout, output) in transaction.outputs.enumerated() {
            try db.execute(sql: "INSERT INTO ledger_output (txid, vout, satoshis, script) VALUES (?, ?, ?, ?)",
                           arguments: [txid.hex, vout, Int64(output.satoshis), Data(output.lockingScript.bytes)])
        }
    }

    /// Creates `satoshis` out of nothing, paid to `lockingScript`, in a new block. Minted
    /// coins are spendable at once (the ledger has no coinbase maturity).
    ///
    /// - Throws: `LedgerError.invalidRequest` for 0 or more than 21 million BSV.
    public func mint(to lockingScript: Script, satoshis: UInt64) throws(LedgerError) -> Transaction {
        guard satoshis > 0, satoshis <= Transaction.maxMoney else { throw .invalidRequest("mint 1 to 21,000,000 BSV worth of satoshis") }
        return try run { db in
            let height = try Self.height(db) + 1
            var unlocking = Script()
            unlocking.append(push: ScriptNumber.encode(Int(height)))
            unlocking.append(push: SecureRandom.bytes(count: 8))  // two mints at one height differ
            let coinbase = Transaction(
                version: 1,
                inputs: [TransactionInput(outpoint: Outpoint(txid: TxID(bytes: [UInt8](repeating: 0, count: 32)), vout: 0xffff_ffff),
                                          unlockingScript: unlocking)],
                outputs: [TransactionOutput(satoshis: satoshis, lockingScript: lockingScript)])
            try Self.mineBlocks(1, db: db)
            try Self.store(coinbase, txid: coinbase.txid, height: height, db: db)
            return coinbase
        }
    }

    /// Mines `blocks` blocks: every unconfirmed transaction goes into the first.
    ///
    /// - Returns: the new height.
    public func mine(blocks: Int) throws(LedgerError) -> UInt32 {
        guard (1...10_000).contains(blocks) else { throw .invalidRequest("mine 1 to 10,000 blocks") }
        return try run { db in try Self.mineBlocks(blocks, db: db) }
    }

    @discardableResult
    private static func mineBlocks(_ blocks: Int, db: Database) throws -> UInt32 {
        let height = try Self.height(db)
        let next = Int64(height) + 1
        let tip = Int64(height) + Int64(blocks)
        try db.execute(sql: "UPDATE ledger_tx SET height = ? WHERE height IS NULL", arguments: [next])
        try db.execute(sql: "UPDATE ledger_meta SET value = ? WHERE key = 'height'", arguments: [tip])
        return height + UInt32(blocks)
    }

    /// Unspent outputs locked by exactly `lockingScript`.
    public func unspentOutputs(lockingScript: Script) throws(LedgerError) -> [UnspentOutput] {
        try run(readOnly: true) { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT o.txid, o.vout, o.satoshis, t.height FROM ledger_output o JOIN ledger_tx t ON t.txid = o.txid
                WHERE o.script = ? AND o.spent_by IS NULL ORDER BY t.height, o.txid, o.vout
                """, arguments: [Data(lockingScript.bytes)])
            return try rows.map { row in
                let txid = try TxID(hex: row["txid"])
                let height: Int64? = row["height"]
                return UnspentOutput(outpoint: Outpoint(txid: txid, vout: UInt32(row["vout"] as Int64)),
                                     satoshis: UInt64(row["satoshis"] as Int64), lockingScript: lockingScript,
                                     height: height.map { UInt32($0) })
            }
        }
    }

    /// A transaction the ledger holds, with its height (nil while unconfirmed).
    public func transaction(_ txid: TxID) throws(LedgerError) -> (transaction: Transaction, height: UInt32?)? {
        try run(readOnly: true) { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT raw, height FROM ledger_tx WHERE txid = ?", arguments: [txid.hex]) else { return nil }
            let raw: Data = row["raw"]
            let height: Int64? = row["height"]
            return (try Transaction(bytes: Array(raw)), height.map { UInt32($0) })
        }
    }

    public func broadcast(_ transaction: Transaction) async throws -> BroadcastResult {
        let txid: TxID
        do {
            txid = try submit(transaction)
        } catch LedgerError.storage(let reason) {
            throw BroadcastError.unavailable("ledger storage: \(reason)")
        } catch {
            throw BroadcastError.rejected("\(error)")
        }
        // Accepted and stored: a failure to read the status back does not undo that.
        let status = (try? await status(of: txid)) ?? nil
        return BroadcastResult(txid: txid, status: status ?? .unconfirmed(detail: "ACCEPTED"))
    }

    public func status(of txid: TxID) async throws -> TransactionStatus? {
        guard let found = try transaction(txid) else { return nil }
        return found.height.map { .mined(height: $0) } ?? .unconfirmed(detail: "ACCEPTED")
    }
}
