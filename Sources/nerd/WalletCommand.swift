import ArgumentParser
import Foundation
import NERDCrypto
import NERDPayments

/// `nerd wallet`: a BSV wallet on the local ledger (default), testnet or mainnet.
struct WalletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet",
        abstract: "A BSV wallet: keys, balance, payments (local ledger by default; ARC for testnet and mainnet).",
        subcommands: [WalletInit.self, WalletAddress.self, WalletBalance.self, WalletImportWIF.self, WalletImportUTXO.self,
                      WalletSend.self, WalletUTXOs.self, WalletForgetUTXO.self, WalletExportTx.self, WalletFaucet.self, WalletMine.self]
    )
}

enum WalletNetwork: String, ExpressibleByArgument, CaseIterable {
    case mainnet, testnet, local

    /// Key and address format: the local ledger uses testnet's, so its keys never look
    /// like money.
    var keyNetwork: Network { self == .mainnet ? .mainnet : .testnet }
}

struct WalletOptions: ParsableArguments {
    @Option(help: "mainnet, testnet, or local (the embedded ledger).")
    var network: WalletNetwork = .local

    @Option(name: .customLong("data-dir"), help: "Wallet folder (default: $XDG_DATA_HOME/nerd/wallet or ~/.local/share/nerd/wallet).")
    var dataDirectory: String?

    @Option(help: "The local ledger's SQLite file (default: <data-dir>/ledger.sqlite); wallets sharing it can pay each other.")
    var ledger: String?

    @Option(name: .customLong("arc-config"), help: "JSON file with arc_url and arc_api_key (default: <data-dir>/arc.json); NERD_ARC_URL and NERD_ARC_API_KEY override it.")
    var arcConfig: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    var directory: String {
        if let dataDirectory { return dataDirectory }
        // validate() has made sure there is a data folder to use.
        return (try? userDataDirectory()).map { $0 + "/nerd/wallet" } ?? ""
    }

    func validate() throws {
        if let dataDirectory, dataDirectory.isEmpty { throw ValidationError("--data-dir must name a folder") }
        if dataDirectory == nil {
            do { _ = try userDataDirectory() } catch { throw ValidationError("\(error); give --data-dir") }
        }
    }

    var walletPath: String { directory + "/\(network.rawValue)/wallet.sqlite" }
    var arcConfigPath: String { arcConfig ?? directory + "/arc.json" }
    var ledgerPath: String { ledger ?? directory + "/ledger.sqlite" }

    func openWallet() throws -> Wallet { try walletCall { () throws(WalletError) in try Wallet(path: walletPath) } }

    /// Opens the local ledger; only `faucet` may create it, so a mistyped `--ledger` is an
    /// error instead of an empty ledger that makes every coin look gone.
    func openLedger(create: Bool = false) throws -> LocalLedger {
        let size = (try? FileManager.default.attributesOfItem(atPath: ledgerPath)[.size] as? NSNumber)?.intValue
        guard !ledgerPath.isEmpty, create || size != nil else {
            printToStandardError("wallet-ledger: no ledger at \(ledgerPath.isEmpty ? "\"\"" : ledgerPath); `nerd wallet faucet` creates one, or pass the --ledger the wallet uses")
            throw ExitCode(1)
        }
        guard create || size != 0 else {
            printToStandardError("wallet-ledger: \(ledgerPath) is an empty file, not a ledger; `nerd wallet faucet` makes one there, or pass the --ledger the wallet uses")
            throw ExitCode(1)
        }
        do { return try LocalLedger(path: ledgerPath) } catch { throw walletFailure(.ledger(error)) }
    }

    /// The broadcaster for this network: the ledger, or ARC as configured.
    func broadcaster() throws -> any Broadcaster {
        if network == .local { return try openLedger() }
        guard let configuration = ARCConfiguration.load(file: arcConfigPath) else {
            printToStandardError("wallet-config: no ARC URL for \(network.rawValue); set NERD_ARC_URL or write arc_url to \(arcConfigPath)")
            throw ExitCode(1)
        }
        return ARCClient(configuration: configuration)
    }

    func requireLocal(_ what: String) throws {
        guard network == .local else {
            printToStandardError("wallet-usage: \(what) exists only on the local ledger (--network local)")
            throw ExitCode(1)
        }
    }

    func output(_ pairs: [(String, JSON)], text: String) {
        print(json ? JSON.object(pairs).text : text)
    }
}

/// On the local ledger: send again what a crash left pending, then take the ledger's view.
func resendPending(_ wallet: Wallet, _ ledger: LocalLedger) async throws {
    do {
        try await wallet.refresh(via: ledger)
        try wallet.sync(with: ledger)
    } catch {
        throw walletFailure(error)
    }
}

/// Parses user input; a malformed value fails as `wallet-invalid`.
func parsed<T>(_ body: () throws(PaymentsError) -> T) throws -> T {
    try walletCall { () throws(WalletError) in
        do throws(PaymentsError) { return try body() } catch { throw .payments(error) }
    }
}

/// Runs a wallet call, printing a failure as `wallet-<kind>: <reason>` (Docs/errors.md).
func walletCall<T>(_ body: () throws(WalletError) -> T) throws -> T {
    do { return try body() } catch { throw walletFailure(error) }
}

func walletFailure(_ error: WalletError) -> Error {
    let (kind, reason) = walletErrorText(error)
    printToStandardError("\(kind): \(reason)")
    return ExitCode(1)
}

/// The kind (Docs/errors.md) and readable reason of a wallet error.
func walletErrorText(_ error: WalletError) -> (kind: String, reason: String) {
    switch error {
    case .notInitialised(let path): ("wallet-missing", "no wallet at \(path); run `nerd wallet init`")
    case .alreadyExists: ("wallet-exists", error.description)
    case .networkMismatch: ("wallet-network", error.description)
    case .insufficientFunds: ("wallet-insufficient-funds", error.description)
    case .notOurs: ("wallet-not-ours", error.description)
    case .invalidAmount: ("wallet-amount", error.description)
    case .unknownTransaction: ("wallet-unknown-tx", error.description)
    case .payments: ("wallet-invalid", error.description)
    case .ledger: ("wallet-ledger", error.description)
    case .broadcast(.rejected(let reason)): ("wallet-rejected", reason)
    case .broadcast(.unavailable(let reason)): ("wallet-broadcast-unknown", "\(reason); the transaction is kept and sent again by `nerd wallet balance`")
    case .storage: ("wallet-storage", error.description)
    }
}

struct WalletInit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a wallet with a fresh seed.")
    @OptionGroup var options: WalletOptions

    func run() async throws {
        let wallet = try walletCall { () throws(WalletError) in try Wallet.create(path: options.walletPath, network: options.network.keyNetwork) }
        let address = try walletCall { () throws(WalletError) in try wallet.receiveAddress() }
        options.output([("network", .string(options.network.rawValue)), ("address", .string(address.string)), ("path", .string(wallet.path))],
                       text: "created \(options.network.rawValue) wallet \(wallet.path)\naddress \(address.string)")
    }
}

struct WalletAddress: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "address", abstract: "Print a receive address.")
    @OptionGroup var options: WalletOptions
    @Flag(name: .customLong("new"), help: "A receive address not handed out before.")
    var fresh = false

    func run() async throws {
        let wallet = try options.openWallet()
        let address = try walletCall { () throws(WalletError) in try fresh ? wallet.newReceiveAddress() : wallet.receiveAddress() }
        options.output([("address", .string(address.string))], text: address.string)
    }
}

struct WalletBalance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "balance", abstract: "Confirmed and unconfirmed satoshis.")
    @OptionGroup var options: WalletOptions

    func run() async throws {
        let wallet = try options.openWallet()
        if options.network == .local {
            let ledger = try options.openLedger()
            try await resendPending(wallet, ledger)
        } else if ARCConfiguration.load(file: options.arcConfigPath) == nil {
            printToStandardError("warning: no ARC configured (NERD_ARC_URL or \(options.arcConfigPath)); showing the wallet's own records")
        } else {
            do { try await wallet.refresh(via: try options.broadcaster()) } catch {
                let reason = (error as? WalletError).map { walletErrorText($0).reason } ?? "\(error)"
                printToStandardError("warning: could not refresh from ARC: \(reason)")
            }
        }
        let balance = try walletCall { () throws(WalletError) in try wallet.balance() }
        options.output([("confirmed", .int(Int64(balance.confirmed))), ("unconfirmed", .int(Int64(balance.unconfirmed))),
                        ("signing_backend", .string(Secp256k1Backend.default.rawValue))],
                       text: "confirmed \(balance.confirmed) sat\nunconfirmed \(balance.unconfirmed) sat\nsigning with \(Secp256k1Backend.default)")
    }
}

struct WalletImportWIF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import-wif", abstract: "Add a private key in Wallet Import Format.")
    @OptionGroup var options: WalletOptions
    @Argument(help: "The WIF key.") var wif: String

    func run() async throws {
        let wallet = try options.openWallet()
        let key = try parsed { () throws(PaymentsError) in try WIF(wif) }
        let address = try walletCall { () throws(WalletError) in try wallet.importKey(key) }
        options.output([("address", .string(address.string))], text: "imported key for \(address.string)")
    }
}

struct WalletImportUTXO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import-utxo", abstract: "Record an output the wallet's keys can spend.")
    @OptionGroup var options: WalletOptions
    @Argument(help: "TXID:VOUT") var outpoint: String
    @Argument(help: "Amount in satoshis.") var satoshis: UInt64
    @Argument(help: "The output's locking script, hex.") var script: String

    func run() async throws {
        let wallet = try options.openWallet()
        let point = try parsed { () throws(PaymentsError) in try Outpoint(outpoint) }
        let locking = try parsed { () throws(PaymentsError) in try Script(hex: script) }
        try walletCall { () throws(WalletError) in
            guard options.network == .local else {
                return try wallet.importUTXO(outpoint: point, satoshis: satoshis, lockingScript: locking)
            }
            // The local ledger is the truth there: an output it does not hold would vanish at
            // the next balance.
            guard FileManager.default.fileExists(atPath: options.ledgerPath) else {
                throw .notOurs("\(point) cannot be on the local ledger: there is none at \(options.ledgerPath)")
            }
            let ledger: LocalLedger
            do throws(LedgerError) { ledger = try LocalLedger(path: options.ledgerPath) } catch { throw .ledger(error) }
            try wallet.importUTXO(outpoint: point, satoshis: satoshis, lockingScript: locking, ledger: ledger)
        }
        options.output([("outpoint", .string(outpoint)), ("satoshis", .int(Int64(satoshis)))], text: "imported \(outpoint) (\(satoshis) sat)")
    }
}

struct WalletUTXOs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "utxos", abstract: "List the unspent outputs the wallet holds.")
    @OptionGroup var options: WalletOptions

    func run() async throws {
        let wallet = try options.openWallet()
        if options.network == .local { try await resendPending(wallet, try options.openLedger()) }
        let coins = try walletCall { () throws(WalletError) in try wallet.unspentCoins() }
        if options.json {
            print(JSON.object([("utxos", .array(coins.map { coin in
                JSON.object([("outpoint", .string("\(coin.outpoint)")), ("satoshis", .int(Int64(coin.satoshis))),
                             ("height", coin.height.map { .int(Int64($0)) } ?? .null), ("pending", .bool(coin.pending)),
                             ("imported", .bool(!coin.fromWalletTransaction))])
            }))]).text)
            return
        }
        for coin in coins {
            let state = coin.pending ? "pending broadcast" : coin.height.map { "height \($0)" } ?? "unconfirmed"
            print("\(coin.outpoint)  \(coin.satoshis) sat  \(state)\(coin.fromWalletTransaction ? "" : "  imported")")
        }
        if coins.isEmpty { print("no unspent outputs") }
    }
}

struct WalletForgetUTXO: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget-utxo", abstract: "Stop counting an unspent output imported by mistake (import-utxo adds it back).")
    @OptionGroup var options: WalletOptions
    @Argument(help: "TXID:VOUT") var outpoint: String

    func run() async throws {
        let wallet = try options.openWallet()
        let point = try parsed { () throws(PaymentsError) in try Outpoint(outpoint) }
        try walletCall { () throws(WalletError) in try wallet.forgetUTXO(point) }
        options.output([("forgotten", .string(outpoint))], text: "forgot \(outpoint)")
    }
}

struct WalletSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Pay an address.")
    @OptionGroup var options: WalletOptions
    @Option(help: "The payee's address.") var to: String
    @Option(parsing: .unconditional, help: "Satoshis to pay.") var amount: UInt64
    @Option(name: .customLong("fee-rate"), parsing: .unconditional, help: "Satoshis per 1,000 bytes (default: ARC's policy on testnet/mainnet, else 100).")
    var feeRate: UInt64?

    func validate() throws {
        if let feeRate, feeRate < 1 || feeRate > FeeRate.maximumSatoshisPerKilobyte {
            throw ValidationError("--fee-rate must be 1 to \(FeeRate.maximumSatoshisPerKilobyte) sat/kB (at most 10 sat/byte)")
        }
    }

    func run() async throws {
        let wallet = try options.openWallet()
        let address = try parsed { () throws(PaymentsError) in try Address(to) }
        // Said before anything else: a wrong-network address is the user's mistake to fix
        // first, whatever the ARC setup.
        if address.network != wallet.network { throw walletFailure(.networkMismatch(wallet: wallet.network, requested: address.network)) }
        let broadcaster = try options.broadcaster()
        if options.network == .local, let ledger = broadcaster as? LocalLedger {
            try await resendPending(wallet, ledger)
        }
        let rate = await chooseFeeRate(broadcaster)
        let transaction: Transaction
        do {
            transaction = try await wallet.send(to: address, amount: amount, feeRate: rate, via: broadcaster)
        } catch {
            if case .broadcast(.rejected) = error, let imported = try? wallet.unspentCoins().filter({ !$0.fromWalletTransaction }),
                options.network != .local, !imported.isEmpty {
                // send picks the largest coins first: one imported by mistake is refused every time.
                printToStandardError("note: coins imported into this wallet: \(imported.map { "\($0.outpoint) (\($0.satoshis) sat)" }.joined(separator: ", ")); "
                    + "if one does not exist or is spent, `nerd wallet forget-utxo TXID:VOUT` stops using it")
            }
            throw walletFailure(error)
        }
        options.output([("txid", .string(transaction.txid.hex)), ("hex", .string(transaction.hex)), ("size", .int(Int64(transaction.size)))],
                       text: "sent \(amount) sat to \(address.string)\ntxid \(transaction.txid.hex)")
    }
}

extension WalletSend {
    /// `--fee-rate`, else ARC's policy on ARC networks, else the standard 100 sat/kB.
    func chooseFeeRate(_ broadcaster: any Broadcaster) async -> FeeRate {
        if let feeRate { return FeeRate(satoshisPerKilobyte: min(feeRate, FeeRate.maximumSatoshisPerKilobyte)) }
        guard let arc = broadcaster as? ARCClient else { return .standard }
        do {
            return try await arc.feeRate()
        } catch {
            let reason = if case BroadcastError.unavailable(let why) = error { why } else { "\(error)" }
            printToStandardError("warning: ARC policy unavailable (\(reason)); paying \(FeeRate.standard.satoshisPerKilobyte) sat/kB")
            return .standard
        }
    }
}

struct WalletExportTx: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export-tx", abstract: "Print a wallet transaction's raw hex.")
    @OptionGroup var options: WalletOptions
    @Argument(help: "TXID") var txid: String

    func run() async throws {
        let wallet = try options.openWallet()
        let id = try parsed { () throws(PaymentsError) in try TxID(hex: txid) }
        let hex = try walletCall { () throws(WalletError) in try wallet.transactionHex(id) }
        options.output([("txid", .string(txid)), ("hex", .string(hex))], text: hex)
    }
}

struct WalletFaucet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "faucet", abstract: "Mint coins on the local ledger to this wallet.")
    @OptionGroup var options: WalletOptions
    @Option(parsing: .unconditional, help: "Satoshis to mint.") var amount: UInt64

    func run() async throws {
        try options.requireLocal("faucet")
        let wallet = try options.openWallet()
        let ledger = try options.openLedger(create: true)
        let coinbase = try walletCall { () throws(WalletError) in try wallet.faucet(amount: amount, ledger: ledger) }
        options.output([("txid", .string(coinbase.txid.hex)), ("hex", .string(coinbase.hex)), ("satoshis", .int(Int64(amount)))],
                       text: "minted \(amount) sat\ntxid \(coinbase.txid.hex)")
    }
}

struct WalletMine: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mine", abstract: "Mine blocks on the local ledger (confirms pending transactions).")
    @OptionGroup var options: WalletOptions
    @Option(parsing: .unconditional, help: "How many blocks.") var blocks: Int = 1

    func run() async throws {
        try options.requireLocal("mine")
        let ledger = try options.openLedger()
        let height: UInt32
        do { height = try ledger.mine(blocks: blocks) } catch { throw walletFailure(.ledger(error)) }
        if let wallet = try? Wallet(path: options.walletPath) {
            try walletCall { () throws(WalletError) in try wallet.sync(with: ledger) }
        }
        options.output([("height", .int(Int64(height)))], text: "height \(height)")
    }
}
