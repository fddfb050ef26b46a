import Foundation
import GRDB
import NERDCrypto

/// Paying: coin selection, signing, recording and broadcasting.
extension Wallet {
    /// Pays `amount` satoshis to `address`, with change to a fresh change key (m/1/i).
    ///
    /// Coins are reserved and the transaction recorded before it is broadcast, so a crash
    /// during the broadcast cannot lead to spending them twice; a rejected transaction is
    /// rolled back, one whose outcome is unknown stays pending (its change is counted as
    /// unconfirmed but not spent until a broadcast succeeds).
    ///
    /// - Throws: `WalletError.insufficientFunds`, `.invalidAmount` (below the dust limit),
    ///   `.networkMismatch`, `.broadcast(.rejected)` after rolling back, or
    ///   `.broadcast(.unavailable)` with the transaction kept pending.
    public func send(to address: Address, amount: UInt64, feeRate: FeeRate = .standard,
                     via broadcaster: any Broadcaster) async throws(WalletError) -> Transaction {
        guard address.network == network else { throw .networkMismatch(wallet: network, requested: address.network) }
        guard amount >= Dust.minimumOutput, amount <= Transaction.maxMoney else { throw .invalidAmount(amount) }
        let transaction = try reserve(outputs: [TransactionOutput(satoshis: amount, lockingScript: address.lockingScript)], feeRate: feeRate)
        try await broadcast(transaction, via: broadcaster)
        return transaction
    }

    /// Builds, signs and records a transaction paying `outputs`, marking its inputs spent.
    func reserve(outputs: [TransactionOutput], feeRate: FeeRate) throws(WalletError) -> Transaction {
        try write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT u.txid, u.vout, u.satoshis, u.script, k.secret, k.compressed FROM wallet_utxo u
                JOIN wallet_key k ON k.id = u.key_id WHERE u.spent_by IS NULL
                AND u.txid NOT IN (SELECT txid FROM wallet_tx WHERE status = 'pending')
                ORDER BY u.height IS NULL, u.satoshis DESC
                """)
            let changeCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM wallet_key WHERE path LIKE 'm/1/%'") ?? 0
            var builder = TransactionBuilder()
            builder.outputs = outputs
            builder.feeRate = feeRate
            builder.changeScript = try self.derivedKey(db, branch: 1, index: UInt32(changeCount)).address.lockingScript
            let needed = outputs.reduce(UInt64(0)) { $0 + $1.satoshis }
            var selected: UInt64 = 0
            for row in rows {
                let secret: Data = row["secret"]
                let compressed: Bool = row["compressed"]
                let script: Data = row["script"]
                builder.inputs.append(SpendableOutput(
                    outpoint: Outpoint(txid: try TxID(hex: row["txid"]), vout: UInt32(row["vout"] as Int64)),
                    satoshis: UInt64(row["satoshis"] as Int64), lockingScript: Script(Array(script)),
                    signer: .p2pkh(try PrivateKey(secret: secret), compressed: compressed)))
                selected += UInt64(row["satoshis"] as Int64)
                // Enough once the fee without change is covered: the builder adds change when
                // what is left pays for it, and otherwise leaves the few satoshis to the fee
                // (less than another input would cost).
                if selected >= needed + fee(builder, change: false) { break }
            }
            guard selected >= needed + fee(builder, change: false) else {
                let available = rows.reduce(UInt64(0)) { $0 + UInt64($1["satoshis"] as Int64) }
                throw WalletError.insufficientFunds(available: available, needed: needed + fee(builder, change: false))
            }
            let (transaction, _) = try builder.build()
            try self.record(transaction, status: "pending", height: nil, db: db)
            return transaction
        }
    }

    private func fee(_ builder: TransactionBuilder, change: Bool) -> UInt64 {
        builder.feeRate.fee(forSize: builder.estimatedSize(withChange: change))
    }

    /// Stores a transaction, marks the wallet's coins it spends and adds its outputs that pay
    /// wallet keys.
    func record(_ transaction: Transaction, status: String, height: UInt32?, db: Database) throws {
        let txid = transaction.txid.hex
        try db.execute(sql: "INSERT OR REPLACE INTO wallet_tx (txid, raw, status, created_at) VALUES (?, ?, ?, ?)",
                       arguments: [txid, Data(transaction.serialized), status, Int64(Date().timeIntervalSince1970)])
        for input in transaction.inputs {
            try db.execute(sql: "UPDATE wallet_utxo SET spent_by = ? WHERE txid = ? AND vout = ?",
                           arguments: [txid, input.outpoint.txid.hex, Int64(input.outpoint.vout)])
        }
        for (vout, output) in transaction.outputs.enumerated() {
            guard let keyID = try Int64.fetchOne(db, sql: "SELECT id FROM wallet_key WHERE script = ?", arguments: [Data(output.lockingScript.bytes)]) else { continue }
            try db.execute(sql: "INSERT OR IGNORE INTO wallet_utxo (txid, vout, satoshis, script, key_id, height) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [txid, vout, Int64(output.satoshis), Data(output.lockingScript.bytes), keyID, height.map { Int64($0) }])
        }
    }

    /// Undoes `record` for a transaction the network refused, and for every wallet
    /// transaction that spent its outputs (they cannot be valid either).
    func rollBack(_ txid: TxID) throws(WalletError) {
        try write { db in try Self.rollBack(txid.hex, db: db, depth: 0) }
    }

    private static func rollBack(_ txid: String, db: Database, depth: Int) throws {
        guard depth < 1000 else { return }
        let children = try String.fetchAll(db, sql: "SELECT DISTINCT spent_by FROM wallet_utxo WHERE txid = ? AND spent_by IS NOT NULL AND spent_by != 'elsewhere'",
                                           arguments: [txid])
        for child in children where child != txid { try rollBack(child, db: db, depth: depth + 1) }
        try db.execute(sql: "UPDATE wallet_utxo SET spent_by = NULL WHERE spent_by = ?", arguments: [txid])
        try db.execute(sql: "DELETE FROM wallet_utxo WHERE txid = ?", arguments: [txid])
        try db.execute(sql: "DELETE FROM wallet_tx WHERE txid = ?", arguments: [txid])
    }

    /// Broadcasts a recorded transaction and stores the outcome.
    /// - Parameter rollBackIfRejected: false when sending again a transaction the service had
    ///   accepted: a refusal now (its inputs spent by the very transaction, once mined and
    ///   forgotten by the service; a higher fee policy) does not prove it was never valid, so
    ///   it is kept rather than undone.
    func broadcast(_ transaction: Transaction, via broadcaster: any Broadcaster, rollBackIfRejected: Bool = true) async throws(WalletError) {
        let txid = transaction.txid
        do {
            let result = try await broadcaster.broadcast(transaction)
            try apply(result.status, to: txid, rollBackIfRejected: rollBackIfRejected)
        } catch BroadcastError.rejected(let reason) {
            if rollBackIfRejected { try rollBack(txid) }
            throw .broadcast(.rejected(reason))
        } catch let error as WalletError {
            throw error
        } catch BroadcastError.unavailable(let reason) {
            throw .broadcast(.unavailable(reason))
        } catch {
            throw .broadcast(.unavailable("\(error)"))
        }
    }

    func apply(_ status: TransactionStatus, to txid: TxID, rollBackIfRejected: Bool = true) throws(WalletError) {
        switch status {
        case .rejected(let reason):
            if rollBackIfRejected { try rollBack(txid) }
            throw .broadcast(.rejected(reason))
        case .mined(let height):
            try write { db in
                try db.execute(sql: "UPDATE wallet_tx SET status = 'mined' WHERE txid = ?", arguments: [txid.hex])
                try db.execute(sql: "UPDATE wallet_utxo SET height = ? WHERE txid = ?", arguments: [Int64(height), txid.hex])
            }
        case .unconfirmed:
            try write { db in try db.execute(sql: "UPDATE wallet_tx SET status = 'broadcast' WHERE txid = ?", arguments: [txid.hex]) }
        }
    }

    /// Asks the broadcaster about every transaction not yet mined: mined ones confirm their
    /// outputs, rejected ones are rolled back, and pending ones, or broadcast ones the service
    /// no longer knows (dropped from its mempool, a service that lost them), are broadcast
    /// again, oldest first so a parent goes before the transaction spending its change. A
    /// broadcast one refused when sent again is kept as it is (it may have been mined and
    /// forgotten by the service); only a pending one is rolled back on refusal.
    public func refresh(via broadcaster: any Broadcaster) async throws(WalletError) {
        let open: [(TxID, Transaction, String)] = try write { db in
            try Row.fetchAll(db, sql: "SELECT txid, raw, status FROM wallet_tx WHERE status != 'mined' ORDER BY created_at, rowid").map { row in
                let raw: Data = row["raw"]
                return (try TxID(hex: row["txid"]), try Transaction(bytes: Array(raw)), row["status"])
            }
        }
        for (txid, transaction, status) in open {
            let known: TransactionStatus?
            do {
                known = try await broadcaster.status(of: txid)
            } catch BroadcastError.unavailable(let reason) {
                throw .broadcast(.unavailable(reason))
            } catch {
                throw .broadcast(.unavailable("\(error)"))
            }
            if let known {
                try? apply(known, to: txid)
            } else if status == "pending" || status == "broadcast" {
                do {
                    try await broadcast(transaction, via: broadcaster, rollBackIfRejected: status == "pending")
                } catch .broadcast(.rejected) {
                    continue  // rolled back if it was pending, else kept; the others still get their turn
                }
            }
        }
    }
}
