import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// Ways out of states a wallet can get into: a transaction the network lost, a coin imported
/// by mistake, a file left empty, a file of the wrong kind; and paying with nothing held back.
@Suite struct WalletRecoveryTests {
    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    static let key = try! PrivateKey(secret: SHA256.hash(Array("recovery test key".utf8)))
    static var payee: Address { Address(publicKey: key.publicKey(), network: .testnet) }

    /// A transaction the service accepted and then lost (a ledger restored from a copy here;
    /// a mempool that dropped it in practice) is broadcast again by `refresh`, so its coins do
    /// not stay locked.
    @Test func lostBroadcastIsSentAgain() async throws {
        defer { dir.remove() }
        let ledgerPath = dir.path + "/ledger.sqlite"
        let wallet = try Wallet.create(path: dir.path + "/w/wallet.sqlite", network: .testnet)
        _ = try wallet.faucet(amount: 50_000, ledger: try LocalLedger(path: ledgerPath))
        try FileManager.default.copyItem(atPath: ledgerPath, toPath: dir.path + "/before.sqlite")
        let sent = try await wallet.send(to: Self.payee, amount: 1_000, via: try LocalLedger(path: ledgerPath))
        try FileManager.default.removeItem(atPath: ledgerPath)
        try FileManager.default.moveItem(atPath: dir.path + "/before.sqlite", toPath: ledgerPath)
        let restored = try LocalLedger(path: ledgerPath)
        #expect(try restored.transaction(sent.txid) == nil)
        try await wallet.refresh(via: restored)
        #expect(try restored.transaction(sent.txid) != nil, "the lost transaction was not sent again")
        try wallet.sync(with: restored)
        #expect(try wallet.balance().unconfirmed == 50_000 - 1_000 - (50_000 - 1_000 - sent.outputs[1].satoshis))
    }

    /// A broadcast transaction the service no longer knows and now refuses (it was mined and
    /// forgotten, say, so its inputs read as spent) is kept, not rolled back: its change stays
    /// counted and its spent inputs do not come back.
    @Test func refusedResendOfABroadcastTransactionIsKept() async throws {
        defer { dir.remove() }
        let ledger = try LocalLedger(path: dir.path + "/ledger.sqlite")
        let wallet = try Wallet.create(path: dir.path + "/w/wallet.sqlite", network: .testnet)
        _ = try wallet.faucet(amount: 50_000, ledger: ledger)
        _ = try await wallet.send(to: Self.payee, amount: 1_000, via: ledger)
        let before = try wallet.balance()
        try await wallet.refresh(via: StubBroadcaster(outcome: .rejected("inputs already spent")))
        #expect(try wallet.balance() == before)
        #expect(try wallet.unspentCoins().count == 1, "the change, not the spent faucet coin")
    }

    /// With one 1,000-sat coin, the most a 1-in 1-out payment can take is 1,000 less its fee:
    /// no change output is counted when there will be none.
    @Test func payingAllButTheFeeNeedsNoChangeOutput() async throws {
        defer { dir.remove() }
        let ledger = try LocalLedger(path: dir.path + "/ledger.sqlite")
        let wallet = try Wallet.create(path: dir.path + "/w/wallet.sqlite", network: .testnet)
        _ = try wallet.faucet(amount: 1_000, ledger: ledger)
        await #expect(throws: WalletError.insufficientFunds(available: 1_000, needed: 1_001)) {
            _ = try await wallet.send(to: Self.payee, amount: 981, via: ledger)
        }
        let sent = try await wallet.send(to: Self.payee, amount: 980, via: ledger)
        #expect(sent.outputs.count == 1)
        #expect(1_000 - 980 == FeeRate.standard.fee(forSize: sent.size) || 1_000 - 980 == FeeRate.standard.fee(forSize: sent.size + 1))
        #expect(try wallet.balance() == (0, 0))
    }

    /// A coin imported by mistake can be forgotten; one the wallet's own transaction made
    /// cannot, and neither can one it does not hold.
    @Test func mistakenImportIsForgotten() async throws {
        defer { dir.remove() }
        let ledger = try LocalLedger(path: dir.path + "/ledger.sqlite")
        let wallet = try Wallet.create(path: dir.path + "/w/wallet.sqlite", network: .testnet)
        let minted = try wallet.faucet(amount: 20_000, ledger: ledger)
        let script = try wallet.receiveAddress().lockingScript
        let bogus = Outpoint(txid: TxID(bytes: SHA256.hash([7])), vout: 7)
        try wallet.importUTXO(outpoint: bogus, satoshis: 900_000, lockingScript: script)
        #expect(try wallet.unspentCoins().map(\.outpoint) == [bogus, Outpoint(txid: minted.txid, vout: 0)])
        #expect(try wallet.unspentCoins().map(\.fromWalletTransaction) == [false, true])
        try wallet.forgetUTXO(bogus)
        #expect(try wallet.balance() == (20_000, 0))
        #expect(throws: WalletError.notOurs("\(bogus) is not an unspent output of this wallet")) { try wallet.forgetUTXO(bogus) }
        #expect(throws: WalletError.self) { try wallet.forgetUTXO(Outpoint(txid: minted.txid, vout: 0)) }
        #expect(try wallet.balance() == (20_000, 0))
        _ = try await wallet.send(to: Self.payee, amount: 1_000, via: ledger)
    }

    /// An empty file where the wallet goes holds no wallet: opening it says so, and `create`
    /// replaces it. A wallet given as the ledger (or the reverse) is refused, untouched.
    @Test func emptyAndForeignFilesAreRefused() throws {
        defer { dir.remove() }
        let path = dir.path + "/w/wallet.sqlite"
        try FileManager.default.createDirectory(atPath: dir.path + "/w", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(throws: WalletError.notInitialised(path)) { try Wallet(path: path) }
        let wallet = try Wallet.create(path: path, network: .testnet)
        _ = try wallet.receiveAddress()
        #expect(throws: WalletError.alreadyExists(path)) { try Wallet.create(path: path, network: .testnet) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/w") == ["wallet.sqlite"])
        // What a create killed before linking leaves behind is cleared by a later create once
        // it is an hour old (a recent one may belong to a create still running).
        let old = dir.path + "/w/other.sqlite.creating-0011223344556677"
        let recent = dir.path + "/w/other.sqlite.creating-8899aabbccddeeff"
        FileManager.default.createFile(atPath: old, contents: Data([1]))
        FileManager.default.createFile(atPath: recent, contents: Data([1]))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: old)
        _ = try Wallet.create(path: dir.path + "/w/other.sqlite", network: .testnet)
        #expect(!FileManager.default.fileExists(atPath: old))
        #expect(FileManager.default.fileExists(atPath: recent))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(throws: LedgerError.storage("\(path) holds another kind of database")) { try LocalLedger(path: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        _ = try LocalLedger(path: dir.path + "/ledger.sqlite")
        #expect(throws: WalletError.storage("\(dir.path)/ledger.sqlite is not a NERD wallet (it holds another kind of database)")) {
            try Wallet(path: dir.path + "/ledger.sqlite")
        }
    }
}
