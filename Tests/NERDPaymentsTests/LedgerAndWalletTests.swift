import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// The local ledger's validation rules and two wallets paying each other through it.
@Suite struct LedgerAndWalletTests {
    let dir: TemporaryDirectory
    let ledger: LocalLedger

    init() throws {
        dir = try TemporaryDirectory()
        ledger = try LocalLedger(path: dir.path + "/ledger.sqlite")
    }

    static let key = try! PrivateKey(secret: SHA256.hash(Array("ledger test key".utf8)))
    static var script: Script { Address(publicKey: key.publicKey(), network: .testnet).lockingScript }

    func funded(_ satoshis: UInt64 = 50_000) throws -> SpendableOutput {
        let coinbase = try ledger.mint(to: Self.script, satoshis: satoshis)
        return SpendableOutput(outpoint: Outpoint(txid: coinbase.txid, vout: 0), satoshis: satoshis, lockingScript: Self.script, signer: .p2pkh(Self.key))
    }

    func payment(_ input: SpendableOutput, amount: UInt64 = 10_000, lockTime: UInt32 = 0, sequence: UInt32? = nil) throws -> Transaction {
        var builder = TransactionBuilder()
        var input = input
        if let sequence { input.sequence = sequence }
        builder.inputs = [input]
        builder.outputs = [TransactionOutput(satoshis: amount, lockingScript: Self.script)]
        builder.changeScript = Self.script
        builder.lockTime = lockTime
        return try builder.build().transaction
    }

    @Test func acceptsValidAndRefusesDoubleSpends() throws {
        defer { dir.remove() }
        let coin = try funded()
        let first = try payment(coin)
        #expect(try ledger.submit(first) == first.txid)
        #expect(try ledger.submit(first) == first.txid)  // the same transaction again is harmless
        let second = try payment(coin, amount: 11_000)
        #expect(throws: LedgerError.alreadySpent(coin.outpoint, by: first.txid)) { try ledger.submit(second) }
        #expect(try ledger.unspentOutputs(lockingScript: Self.script).map(\.outpoint).contains(Outpoint(txid: first.txid, vout: 0)))
    }

    @Test func refusesBrokenTransactions() throws {
        defer { dir.remove() }
        let coin = try funded()
        // An input the ledger never saw.
        var unknown = coin
        unknown.outpoint = Outpoint(txid: TxID(bytes: SHA256.hash([9])), vout: 0)
        #expect(throws: LedgerError.missingInput(unknown.outpoint)) { try ledger.submit(try payment(unknown)) }
        // A signature broken by changing an output after signing.
        var tampered = try payment(coin)
        tampered.outputs[0].satoshis += 1
        tampered.outputs[1].satoshis -= 1
        #expect(throws: LedgerError.scriptFailed(input: 0, .sigNullFail)) { try ledger.submit(tampered) }
        // Not final: lock time ahead of the ledger's height with a non-final input.
        let locked = try payment(coin, lockTime: 500, sequence: 0)
        #expect(throws: LedgerError.notFinal(lockTime: 500, height: try ledger.height())) { try ledger.submit(locked) }
        // Outputs above the inputs.
        var greedy = Transaction(inputs: [TransactionInput(outpoint: coin.outpoint)],
                                 outputs: [TransactionOutput(satoshis: 60_000, lockingScript: Self.script)])
        try greedy.signP2PKH(inputIndex: 0, key: Self.key, lockingScript: Self.script, satoshis: coin.satoshis)
        #expect(throws: LedgerError.self) { try ledger.submit(greedy) }
        // A zero-satoshi spendable output is dust.
        var dust = Transaction(inputs: [TransactionInput(outpoint: coin.outpoint)],
                               outputs: [TransactionOutput(satoshis: 0, lockingScript: Self.script), TransactionOutput(satoshis: 40_000, lockingScript: Self.script)])
        try dust.signP2PKH(inputIndex: 0, key: Self.key, lockingScript: Self.script, satoshis: coin.satoshis)
        #expect(throws: LedgerError.dust(output: 0)) { try ledger.submit(dust) }
        // None of that was written: the coin is still unspent.
        #expect(try ledger.unspentOutputs(lockingScript: Self.script).map(\.outpoint) == [coin.outpoint])
    }

    @Test func timeLockedSpendBecomesValidAtItsHeight() throws {
        defer { dir.remove() }
        let coin = try funded()
        let locked = try payment(coin, lockTime: 20, sequence: 0)
        #expect(throws: LedgerError.self) { try ledger.submit(locked) }
        _ = try ledger.mine(blocks: 20)
        #expect(try ledger.submit(locked) == locked.txid)
    }

    @Test func twoWalletsPayEachOther() async throws {
        defer { dir.remove() }
        let alice = try Wallet.create(path: dir.path + "/alice/wallet.sqlite", network: .testnet)
        let bob = try Wallet.create(path: dir.path + "/bob/wallet.sqlite", network: .testnet)
        _ = try alice.faucet(amount: 100_000, ledger: ledger)
        #expect(try alice.balance() == (100_000, 0))
        let sent = try await alice.send(to: try bob.receiveAddress(), amount: 30_000, via: ledger)
        let fee = 100_000 - 30_000 - (sent.outputs.first { $0.satoshis != 30_000 }?.satoshis ?? 0)
        #expect(fee == FeeRate.standard.fee(forSize: sent.size) || fee == FeeRate.standard.fee(forSize: sent.size + 1))
        try bob.sync(with: ledger)
        #expect(try bob.balance() == (0, 30_000))
        _ = try ledger.mine(blocks: 1)
        try bob.sync(with: ledger)
        try alice.sync(with: ledger)
        #expect(try bob.balance() == (30_000, 0))
        #expect(try alice.balance() == (100_000 - 30_000 - fee, 0))
        // Bob pays back from his received coin.
        _ = try await bob.send(to: try alice.newReceiveAddress(), amount: 10_000, via: ledger)
        try alice.sync(with: ledger)
        #expect(try alice.balance().unconfirmed == 10_000)
        #expect(try alice.transactionHex(sent.txid) == sent.hex)
        // Reopening keeps everything.
        let reopened = try Wallet(path: dir.path + "/alice/wallet.sqlite")
        #expect(try reopened.balance() == (try alice.balance()))
        let balance = try alice.balance()
        var caught: Error?
        do { _ = try await alice.send(to: try bob.receiveAddress(), amount: 1_000_000, via: ledger) } catch { caught = error }
        let refusal = caught as? WalletError
        #expect(refusal == .insufficientFunds(available: balance.confirmed + balance.unconfirmed, needed: 1_000_000 + 35))  // two inputs, one output: no change is counted
    }

    /// A refused broadcast releases the coins; an unknown outcome keeps them reserved.
    @Test func broadcastOutcomes() async throws {
        defer { dir.remove() }
        let wallet = try Wallet.create(path: dir.path + "/w/wallet.sqlite", network: .testnet)
        _ = try wallet.faucet(amount: 50_000, ledger: ledger)
        let payee = Address(publicKey: Self.key.publicKey(), network: .testnet)
        await #expect(throws: WalletError.broadcast(.rejected("no"))) {
            _ = try await wallet.send(to: payee, amount: 1_000, via: StubBroadcaster(outcome: .rejected("no")))
        }
        #expect(try wallet.balance() == (50_000, 0))
        await #expect(throws: WalletError.self) {
            _ = try await wallet.send(to: payee, amount: 1_000, via: StubBroadcaster(outcome: .unavailable("timeout")))
        }
        // Reserved: the coin is not offered again until the outcome is known, and taking the
        // ledger's view (which has not seen the transaction) does not write its change off.
        try wallet.sync(with: ledger)
        #expect(try wallet.balance().confirmed == 0)
        #expect(try wallet.balance().unconfirmed > 48_000)
        var caught: Error?
        do { _ = try await wallet.send(to: payee, amount: 1_000, via: ledger) } catch { caught = error }
        guard case .insufficientFunds(let available, _)? = caught as? WalletError else {
            Issue.record("expected insufficient funds, got \(String(describing: caught))")
            return
        }
        #expect(available == 0)
        // The ledger never saw it; refresh sends it again and it lands.
        try await wallet.refresh(via: ledger)
        try wallet.sync(with: ledger)
        #expect(try wallet.balance().unconfirmed > 40_000)
    }

    @Test func importsAreChecked() throws {
        defer { dir.remove() }
        let wallet = try Wallet.create(path: dir.path + "/w/wallet.sqlite", network: .testnet)
        #expect(throws: WalletError.alreadyExists(wallet.path)) { try Wallet.create(path: wallet.path, network: .testnet) }
        #expect(throws: WalletError.self) { try Wallet(path: dir.path + "/none/wallet.sqlite") }
        let outpoint = Outpoint(txid: TxID(bytes: SHA256.hash([1])), vout: 3)
        #expect(throws: WalletError.self) { try wallet.importUTXO(outpoint: outpoint, satoshis: 5_000, lockingScript: Self.script) }
        try wallet.importKey(WIF(privateKey: Self.key, network: .testnet))
        try wallet.importUTXO(outpoint: outpoint, satoshis: 5_000, lockingScript: Self.script)
        #expect(try wallet.balance() == (5_000, 0))
        #expect(throws: WalletError.networkMismatch(wallet: .testnet, requested: .mainnet)) { try wallet.importKey(WIF(privateKey: Self.key)) }
    }
}

/// A broadcaster that always gives the same outcome.
struct StubBroadcaster: Broadcaster {
    var outcome: BroadcastError

    func broadcast(_ transaction: Transaction) async throws -> BroadcastResult { throw outcome }
    func status(of txid: TxID) async throws -> TransactionStatus? { nil }
}
