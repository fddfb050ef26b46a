import Foundation
import NERDTestSupport
import Testing

/// `nerd wallet` as a user runs it: two wallets sharing one local ledger, the JSON contract
/// of each subcommand, errors on stderr with exit status 1, and the payment checked by the
/// independent verifier.
@Suite struct WalletCommandTests {
    func wallet(_ dir: TemporaryDirectory, _ name: String, _ arguments: [String]) throws -> (status: Int32, json: [String: Any], stderr: String) {
        let result = try NerdCommand.run(["wallet"] + arguments + ["--data-dir", dir.path + "/" + name, "--ledger", dir.path + "/ledger.sqlite", "--json"])
        return (result.status, JSONOutput.lastObject(in: result.stdout), result.stderr)
    }

    @Test func twoWalletsOnOneLedger() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let alice = try wallet(dir, "alice", ["init"])
        #expect(alice.status == 0, "\(alice.stderr)")
        #expect(try wallet(dir, "alice", ["init"]).status == 1)
        let bobAddress = try #require(try wallet(dir, "bob", ["init"]).json["address"] as? String)
        #expect(try wallet(dir, "bob", ["address"]).json["address"] as? String == bobAddress)

        let faucet = try wallet(dir, "alice", ["faucet", "--amount", "100000"])
        #expect(faucet.status == 0, "\(faucet.stderr)")
        #expect((faucet.json["txid"] as? String)?.count == 64)
        #expect(try wallet(dir, "alice", ["balance"]).json["confirmed"] as? Int == 100_000)

        let send = try wallet(dir, "alice", ["send", "--to", bobAddress, "--amount", "25000"])
        #expect(send.status == 0, "\(send.stderr)")
        let txid = try #require(send.json["txid"] as? String)
        let hex = try #require(send.json["hex"] as? String)
        #expect(try wallet(dir, "alice", ["export-tx", txid]).json["hex"] as? String == hex)
        let bob = try wallet(dir, "bob", ["balance"])
        #expect(bob.json["confirmed"] as? Int == 0 && bob.json["unconfirmed"] as? Int == 25_000)
        #expect(try wallet(dir, "bob", ["mine", "--blocks", "1"]).json["height"] as? Int == 2)
        #expect(try wallet(dir, "bob", ["balance"]).json["confirmed"] as? Int == 25_000)
        let aliceBalance = try wallet(dir, "alice", ["balance"]).json
        let aliceLeft = (aliceBalance["confirmed"] as? Int ?? 0) + (aliceBalance["unconfirmed"] as? Int ?? 0)
        #expect(aliceLeft > 74_900 && aliceLeft < 75_000)

        // Errors: a line on stderr naming the kind, exit status 1, nothing spent.
        let tooMuch = try wallet(dir, "alice", ["send", "--to", bobAddress, "--amount", "999999999"])
        #expect(tooMuch.status == 1 && tooMuch.stderr.contains("wallet-insufficient-funds"))
        let badAddress = try wallet(dir, "alice", ["send", "--to", "1NotAnAddress", "--amount", "1000"])
        #expect(badAddress.status == 1 && badAddress.stderr.contains("wallet-invalid"))
        let testnetFaucet = try NerdCommand.run(["wallet", "faucet", "--amount", "5", "--network", "testnet", "--data-dir", dir.path + "/alice"])
        #expect(testnetFaucet.status == 1 && testnetFaucet.stderr.contains("wallet-usage"))
        let noWallet = try wallet(dir, "carol", ["balance"])
        #expect(noWallet.status == 1 && noWallet.stderr.contains("wallet-missing"))
        let wrongLedger = try NerdCommand.run(["wallet", "balance", "--data-dir", dir.path + "/alice", "--ledger", dir.path + "/typo.sqlite"])
        #expect(wrongLedger.status == 1 && wrongLedger.stderr.contains("wallet-ledger"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/typo.sqlite"))
        #expect(try wallet(dir, "alice", ["send", "--to", bobAddress, "--amount", "1000", "--fee-rate", "0"]).status == 64)
        let fake = try wallet(dir, "alice", ["import-utxo", String(repeating: "ab", count: 32) + ":0", "5000", "76a914" + String(repeating: "00", count: 20) + "88ac"])
        #expect(fake.status == 1 && fake.stderr.contains("wallet-not-ours"))
        let after = try wallet(dir, "alice", ["balance"]).json
        #expect((after["confirmed"] as? Int ?? 0) + (after["unconfirmed"] as? Int ?? 0) == aliceLeft)

        // The payment as the independent verifier sees it.
        guard Prerequisite.check(BSVVerifier.isAvailable, "bsv_verify.py with bsv-sdk and coincurve") else { return }
        let faucetHex = try #require(faucet.json["hex"] as? String)
        let fundingScript = String(faucetHex.suffix(8 + 50).prefix(50))  // the coinbase's only output script
        let verdict = try BSVVerifier.verify(transactionHex: hex, prevouts: [(script: fundingScript, satoshis: 100_000)])
        #expect(verdict.status == 0, "\(verdict.output)")
        #expect(verdict.txid == txid)
    }
}

extension WalletCommandTests {
    /// Without a home folder the wallet is refused rather than put in a shared temporary one;
    /// negative amounts are named as such; `utxos` lists the coins and `forget-utxo` refuses
    /// one the wallet's own transaction made (forgetting an imported coin is covered by
    /// `WalletRecoveryTests.mistakenImportIsForgotten`: on the local ledger only real coins
    /// can be imported).
    @Test func recoveryAndRefusals() throws {
        guard Prerequisite.check(NerdCommand.isBuilt, "the nerd executable at \(NerdCommand.path)") else { return }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var environment = TestEnvironment.forChildren
        environment["HOME"] = nil
        environment["XDG_DATA_HOME"] = "relative/folder"
        let homeless = try NerdCommand.run(["wallet", "init"], environment: environment)
        #expect(homeless.status == 64)
        #expect(homeless.stderr.contains("neither HOME nor XDG_DATA_HOME names an absolute folder; give --data-dir"), "\(homeless.stderr)")
        #expect(try NerdCommand.run(["wallet", "init", "--data-dir", ""]).stderr.contains("--data-dir must name a folder"))

        #expect(try wallet(dir, "alice", ["init"]).status == 0)
        #expect(try wallet(dir, "alice", ["faucet", "--amount", "20000"]).status == 0)
        let negative = try NerdCommand.run(["wallet", "send", "--to", "x", "--amount", "-5", "--data-dir", dir.path + "/alice"])
        #expect(negative.status == 64 && negative.stderr.contains("The value '-5' is invalid for '--amount <amount>'"), "\(negative.stderr)")

        let script = "76a914" + String(repeating: "0", count: 40) + "88ac"  // not alice's: refused
        #expect(try wallet(dir, "alice", ["import-utxo", String(repeating: "ab", count: 32) + ":7", "900000", script]).status == 1)
        let coins = try wallet(dir, "alice", ["utxos"]).json["utxos"] as? [[String: Any]]
        #expect(coins?.count == 1 && coins?.first?["satoshis"] as? Int == 20_000 && coins?.first?["imported"] as? Bool == false)
        let outpoint = try #require(coins?.first?["outpoint"] as? String)
        let refused = try wallet(dir, "alice", ["forget-utxo", outpoint])
        #expect(refused.status == 1 && refused.stderr.contains("was made by a transaction of this wallet"), "\(refused.stderr)")
    }
}
