// Signing, verification and sighash throughput of NERDCrypto / NERDPayments on one thread,
// printed as one JSON line per figure for Benchmarks/bsv.py.
import Foundation
import NERDCrypto
import NERDPayments

func measure(_ seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    // Warm up, then count whole iterations until the time is up.
    for _ in 0..<50 { try body() }
    var count = 0
    let start = DispatchTime.now().uptimeNanoseconds
    var elapsed = 0.0
    repeat {
        for _ in 0..<100 { try body() }
        count += 100
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < seconds
    return Double(count) / elapsed
}

let seconds = Double(CommandLine.arguments.dropFirst().first ?? "2") ?? 2
let key = try PrivateKey(secret: SHA256.hash(Array("bench key".utf8)))
let digests = (0..<256).map { SHA256.hash([UInt8($0)]) }

for backend in Secp256k1Backend.available {
    let publicKey = key.publicKey(backend: backend)
    var i = 0
    let signs = try measure(seconds) {
        _ = try key.sign(digest: digests[i & 255], backend: backend)
        i += 1
    }
    let signatures = try digests.map { try key.sign(digest: $0, backend: backend) }
    var ok = true
    let verifies = measure(seconds) {
        ok = ok && publicKey.verify(signature: signatures[i & 255], digest: digests[i & 255], backend: backend)
        i += 1
    }
    precondition(ok)
    print(#"{"backend": "\#(backend)", "sign_per_s": \#(Int(signs)), "verify_per_s": \#(Int(verifies))}"#)
}

// A 100-input, 2-output transaction: the FORKID digest of every input.
let script = Address(publicKey: key.publicKey()).lockingScript
let tx = Transaction(
    inputs: (0..<100).map { TransactionInput(outpoint: Outpoint(txid: TxID(bytes: SHA256.hash([UInt8($0)])), vout: 0)) },
    outputs: [TransactionOutput(satoshis: 1000, lockingScript: script), TransactionOutput(satoshis: 2000, lockingScript: script)])
var n = 0
let sighashes = try measure(seconds) {
    // The per-transaction hashes are computed once, as a verifier or signer does.
    let hashes = SignatureHash(tx)
    for input in 0..<100 {
        _ = try hashes.digest(inputIndex: input, scriptCode: script.bytes, satoshis: 5000, type: .allForkID)
    }
    n += 1
} * 100
print(#"{"sighash_100_inputs_per_s": \#(Int(sighashes))}"#)
