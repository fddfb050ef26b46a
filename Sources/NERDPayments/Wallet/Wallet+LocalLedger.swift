import Foundation
import GRDB

/// The wallet against NERD's local ledger: coins from the faucet, and the ledger's view of
/// what the wallet's keys own.
extension Wallet {
    /// Mints `amount` satoshis on the ledger to the first receive address and records them.
    public func faucet(amount: UInt64, ledger: LocalLedger) throws(WalletError) -> Transaction {
        guard amount > 0, amount <= Transaction.maxMoney else { throw .invalidAmount(amount) }
        let script = try receiveAddress().lockingScript
        let coinbase: Transaction
        do { coinbase = try ledger.mint(to: script, satoshis: amount) } catch { throw .ledger(error) }
        let height: UInt32
        do { height = try ledger.height() } catch { throw .ledger(error) }
        try write { db in try self.record(coinbase, status: "mined", height: height, db: db) }
        return coinbase
    }

    /// Records an output after checking that the ledger holds it unspent, with this amount and
    /// locking script (on the local ledger an output it does not hold would vanish at the next
    /// `sync`).
    ///
    /// - Throws: `WalletError.notOurs` when the ledger does not hold it, else as
    ///   `importUTXO(outpoint:satoshis:lockingScript:height:)`.
    public func importUTXO(outpoint: Outpoint, satoshis: UInt64, lockingScript: Script, ledger: LocalLedger) throws(WalletError) {
        let held: [UnspentOutput]
        do { held = try ledger.unspentOutputs(lockingScript: lockingScript) } catch { throw .ledger(error) }
        guard held.contains(where: { $0.outpoint == outpoint && $0.satoshis == satoshis }) else {
            throw .notOurs("\(outpoint) (\(satoshis) sat) is not an unspent output of that script on the local ledger")
        }
        try importUTXO(outpoint: outpoint, satoshis: satoshis, lockingScript: lockingScript)
    }

    /// Brings the wallet in line with the ledger: outputs paid to wallet keys by others are
    /// added, confirmations recorded, and coins the ledger shows spent elsewhere dropped.
    public func sync(with ledger: LocalLedger) throws(WalletError) {
        var unspent: [UnspentOutput] = []
        do {
            for script in try keyScripts() { unspent += try ledger.unspentOutputs(lockingScript: script) }
        } catch let error as LedgerError {
            throw .ledger(error)
        } catch let error as WalletError {
            throw error
        } catch {
            throw .storage("\(error)")
        }
        let open: Set<String> = try write { db in
            // Transactions not yet mined: their confirmations are looked up below, and the
            // outputs of those still pending (not on the ledger yet) are not "spent elsewhere".
            let open = Set(try String.fetchAll(db, sql: "SELECT txid FROM wallet_tx WHERE status != 'mined'"))
            let pending = Set(try String.fetchAll(db, sql: "SELECT txid FROM wallet_tx WHERE status = 'pending'"))
            var onLedger = Set<String>()
            for output in unspent {
                onLedger.insert(output.outpoint.description)
                let keyID = try Int64.fetchOne(db, sql: "SELECT id FROM wallet_key WHERE script = ?", arguments: [Data(output.lockingScript.bytes)])
                try db.execute(sql: """
                    INSERT INTO wallet_utxo (txid, vout, satoshis, script, key_id, height) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(txid, vout) DO UPDATE SET height = excluded.height,
                        spent_by = CASE WHEN spent_by = 'elsewhere' THEN NULL ELSE spent_by END
                    """, arguments: [output.outpoint.txid.hex, Int64(output.outpoint.vout), Int64(output.satoshis),
                                     Data(output.lockingScript.bytes), keyID, output.height.map { Int64($0) }])
            }
            // Unspent here but not on the ledger: spent by a transaction this wallet did not make.
            for row in try Row.fetchAll(db, sql: "SELECT txid, vout FROM wallet_utxo WHERE spent_by IS NULL") {
                let txid: String = row["txid"]
                let vout: Int64 = row["vout"]
                if !pending.contains(txid) && !onLedger.contains("\(txid):\(vout)") {
                    try db.execute(sql: "UPDATE wallet_utxo SET spent_by = 'elsewhere' WHERE txid = ? AND vout = ?", arguments: [txid, vout])
                }
            }
            return open
        }
        for txid in open {
            guard let id = try? TxID(hex: txid) else { continue }
            let found: (transaction: Transaction, height: UInt32?)?
            do { found = try ledger.transaction(id) } catch { throw .ledger(error) }
            if let height = found?.height { try apply(.mined(height: height), to: id) }
        }
    }
}
