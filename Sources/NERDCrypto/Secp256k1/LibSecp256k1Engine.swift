#if Secp256k1
import CSecp256k1

/// secp256k1 through Bitcoin Core's libsecp256k1 (built with the package trait
/// `Secp256k1`). Its default nonce function is RFC 6979 with HMAC-SHA256 and it always
/// signs low-S, so its bytes equal `OpenSSLEngine`'s.
final class LibSecp256k1Engine: Secp256k1Engine, @unchecked Sendable {
    static let isAvailable = true
    static let shared: (any Secp256k1Engine)? = LibSecp256k1Engine()

    // After randomisation a context is only read, which libsecp256k1 allows from any thread.
    private let context: OpaquePointer

    private init() {
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            fatalError("secp256k1_context_create failed")
        }
        // Blinding against side channels, as the library recommends.
        let seed = SecureRandom.bytes(count: 32)
        _ = seed.withUnsafeBufferPointer { secp256k1_context_randomize(context, $0.baseAddress!) }
        self.context = context
    }

    private func parse(_ encoded: [UInt8]) throws(Secp256k1Error) -> secp256k1_pubkey {
        var key = secp256k1_pubkey()
        guard PublicKey.hasValidLength(encoded),
              encoded.withUnsafeBufferPointer({ secp256k1_ec_pubkey_parse(context, &key, $0.baseAddress!, $0.count) }) == 1
        else { throw .invalidPublicKey }
        return key
    }

    private func serialize(_ key: secp256k1_pubkey, compressed: Bool) -> [UInt8] {
        var key = key
        var size = compressed ? 33 : 65
        let flags = UInt32(compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)
        return [UInt8](unsafeUninitializedCapacity: size) { buf, n in
            _ = secp256k1_ec_pubkey_serialize(context, buf.baseAddress!, &size, &key, flags)
            n = size
        }
    }

    func publicKey(secret: [UInt8], compressed: Bool) throws(Secp256k1Error) -> [UInt8] {
        var key = secp256k1_pubkey()
        guard secret.withUnsafeBufferPointer({ secp256k1_ec_pubkey_create(context, &key, $0.baseAddress!) }) == 1 else {
            throw .invalidPrivateKey
        }
        return serialize(key, compressed: compressed)
    }

    func serialize(publicKey: [UInt8], compressed: Bool) throws(Secp256k1Error) -> [UInt8] {
        serialize(try parse(publicKey), compressed: compressed)
    }

    func sign(digest: [UInt8], secret: [UInt8]) throws(Secp256k1Error) -> ECDSASignature {
        var sig = secp256k1_ecdsa_signature()
        let ok = digest.withUnsafeBufferPointer { d in
            secret.withUnsafeBufferPointer { k in
                secp256k1_ecdsa_sign(context, &sig, d.baseAddress!, k.baseAddress!, nil, nil)
            }
        }
        guard ok == 1 else { throw .invalidPrivateKey }
        var compact = [UInt8](repeating: 0, count: 64)
        _ = compact.withUnsafeMutableBufferPointer { secp256k1_ecdsa_signature_serialize_compact(context, $0.baseAddress!, &sig) }
        return try ECDSASignature(r: Array(compact[0..<32]), s: Array(compact[32..<64]))
    }

    func verify(signature: ECDSASignature, digest: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.isInRange, digest.count == 32, var key = try? parse(publicKey) else { return false }
        var sig = secp256k1_ecdsa_signature()
        let compact = signature.compact
        guard compact.withUnsafeBufferPointer({ secp256k1_ecdsa_signature_parse_compact(context, &sig, $0.baseAddress!) }) == 1 else {
            return false
        }
        // libsecp256k1 verifies low-S only; consensus accepts either, so normalise first as
        // the node does.
        var normalized = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_signature_normalize(context, &normalized, &sig)
        return digest.withUnsafeBufferPointer { secp256k1_ecdsa_verify(context, &normalized, $0.baseAddress!, &key) } == 1
    }

    func tweakAdd(secret: [UInt8], tweak: [UInt8]) throws(Secp256k1Error) -> [UInt8] {
        guard tweak.count == 32 else { throw .invalidTweak }
        var out = secret
        let ok = tweak.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { secp256k1_ec_seckey_tweak_add(context, $0.baseAddress!, t.baseAddress!) }
        }
        guard ok == 1 else { throw .invalidTweak }
        return out
    }

    func tweakAdd(publicKey: [UInt8], tweak: [UInt8]) throws(Secp256k1Error) -> [UInt8] {
        guard tweak.count == 32 else { throw .invalidTweak }
        var key = try parse(publicKey)
        guard tweak.withUnsafeBufferPointer({ secp256k1_ec_pubkey_tweak_add(context, &key, $0.baseAddress!) }) == 1 else {
            throw .invalidTweak
        }
        return serialize(key, compressed: true)
    }
}
#else
/// Stand-in when the package trait `Secp256k1` is off: the backend is absent.
enum LibSecp256k1Engine {
    static let isAvailable = false
    static let shared: (any Secp256k1Engine)? = nil
}
#endif
