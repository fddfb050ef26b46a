import Foundation
import NERDCrypto
import NERDPayments
import NERDTestSupport
import Testing

/// The ARC client against a loopback ARC stand-in: the request it sends, accepted, rejected
/// and unknown outcomes, status queries, and a testnet wallet paying through it.
@Suite(.serialized) struct ARCClientTests {
    static let key = try! PrivateKey(secret: SHA256.hash(Array("arc test key".utf8)))

    func signedTransaction() throws -> Transaction {
        let script = Address(publicKey: Self.key.publicKey(), network: .testnet).lockingScript
        var builder = TransactionBuilder()
        builder.inputs = [SpendableOutput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([7])), vout: 0), satoshis: 20_000,
                                          lockingScript: script, signer: .p2pkh(Self.key))]
        builder.outputs = [TransactionOutput(satoshis: 5_000, lockingScript: script)]
        builder.changeScript = script
        return try builder.build().transaction
    }

    @Test func broadcastAndStatus() async throws {
        let stub = ARCStub()
        try stub.start()
        defer { stub.stop() }
        let client = ARCClient(configuration: ARCConfiguration(url: URL(string: "http://127.0.0.1:\(stub.port)")!, apiKey: "secret-key"))
        let tx = try signedTransaction()

        let result = try await client.broadcast(tx)
        #expect(result.txid == tx.txid)
        #expect(result.status == .unconfirmed(detail: "SEEN_ON_NETWORK"))
        let request = try #require(stub.requests.last)
        #expect(request.method == "POST" && request.uri == "/v1/tx")
        #expect(request.headers["authorization"] == "Bearer secret-key")
        #expect(request.headers["content-type"] == "application/json")
        let body = try #require(JSONSerialization.jsonObject(with: request.body) as? [String: String])
        #expect(body == ["rawTx": tx.hex])

        #expect(try await client.feeRate() == FeeRate(satoshisPerKilobyte: 50))
        #expect(try await client.status(of: tx.txid) == nil)
        stub.markMined(tx.txid.hex)
        #expect(try await client.status(of: tx.txid) == .mined(height: 800_123))

        stub.set(.rejectFee)
        await #expect(throws: BroadcastError.rejected("Fee too low: The fees are too low")) { _ = try await client.broadcast(tx) }
        stub.set(.serverError)
        await #expect(throws: BroadcastError.self) { _ = try await client.broadcast(tx) }
    }

    @Test func unreachableAndGuarded() async throws {
        let tx = try signedTransaction()
        // Nothing listens on this port: the outcome is unknown, not a rejection.
        let closed = ARCClient(configuration: ARCConfiguration(url: URL(string: "http://127.0.0.1:\(BackgroundProcess.freePort())")!), timeout: 5)
        do {
            _ = try await closed.broadcast(tx)
            Issue.record("broadcast to a closed port succeeded")
        } catch let error as BroadcastError {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
        }
        // The loopback-only guard refuses other hosts before any connection.
        let guarded = ARCClient(configuration: ARCConfiguration(url: URL(string: "https://arc.example.invalid")!), loopbackOnly: true)
        await #expect(throws: BroadcastError.self) { _ = try await guarded.broadcast(tx) }
    }

    @Test func configurationFromFileAndEnvironment() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("arc.json", Array(#"{"arc_url": "https://arc.taal.com", "arc_api_key": "k1"}"#.utf8))
        #expect(ARCConfiguration.load(file: file, environment: [:]) == ARCConfiguration(url: URL(string: "https://arc.taal.com")!, apiKey: "k1"))
        #expect(ARCConfiguration.load(file: file, environment: ["NERD_ARC_API_KEY": "k2"])?.apiKey == "k2")
        #expect(ARCConfiguration.load(file: nil, environment: ["NERD_ARC_URL": "http://127.0.0.1:9"])?.url.port == 9)
        #expect(ARCConfiguration.load(file: nil, environment: [:]) == nil)
        #expect(ARCConfiguration.load(file: nil, environment: ["NERD_ARC_URL": "ftp://x"]) == nil)
    }

    /// A testnet wallet with an imported coin pays through ARC; once ARC reports the
    /// transaction mined, its change counts as confirmed.
    @Test func walletPaysThroughARC() async throws {
        let stub = ARCStub()
        try stub.start()
        defer { stub.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let client = ARCClient(configuration: ARCConfiguration(url: URL(string: "http://127.0.0.1:\(stub.port)")!))
        let wallet = try Wallet.create(path: dir.path + "/wallet.sqlite", network: .testnet)
        let wif = WIF(privateKey: Self.key, network: .testnet)
        try wallet.importKey(wif)
        try wallet.importUTXO(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([8])), vout: 2), satoshis: 40_000, lockingScript: wif.address.lockingScript)
        let payee = Address(publicKey: PrivateKey.generate().publicKey(), network: .testnet)
        let tx = try await wallet.send(to: payee, amount: 15_000, via: client)
        #expect(stub.requests.contains { $0.method == "POST" })
        let pending = try wallet.balance()
        #expect(pending.confirmed == 0 && pending.unconfirmed > 24_000)
        stub.markMined(tx.txid.hex)
        try await wallet.refresh(via: client)
        #expect(try wallet.balance() == (pending.unconfirmed, 0))
    }
}
