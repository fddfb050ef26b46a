import COpenSSL

/// secp256k1 through OpenSSL libcrypto's EC and ECDSA APIs. OpenSSL 3.0 cannot make
/// deterministic nonces itself, so the RFC 6979 nonce is computed here and handed to
/// `ECDSA_do_sign_ex` as k⁻¹ and r.
final class OpenSSLEngine: Secp256k1Engine, @unchecked Sendable {
    static let shared = OpenSSLEngine()

    // An EC_GROUP is read-only after creation, so one instance serves every thread.
    private let group: OpaquePointer
    private let order: OpaquePointer

    private init() {
        guard let group = EC_GROUP_new_by_curve_name(NID_secp256k1), let order = BN_new(),
              EC_GROUP_get_order(group, order, nil) == 1
        else { fatalError("OpenSSL lacks secp256k1") }
        self.group = group
        self.order = order
    }

    private func withContext<T>(_ body: (OpaquePointer) throws(Secp256k1Error) -> T) throws(Secp256k1Error) -> T {
        guard let ctx = BN_CTX_new() else { throw .backendFailure("BN_CTX_new") }
        defer { BN_CTX_free(ctx) }
        return try body(ctx)
    }

    private func bignum(_ bytes: [UInt8]) -> OpaquePointer {
        bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil)! }
    }

    private func bytes32(_ bn: OpaquePointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buf, n in
            _ = BN_bn2binpad(bn, buf.baseAddress, 32)
            n = 32
        }
    }

    private func point(_ encoded: [UInt8], _ ctx: OpaquePointer) throws(Secp256k1Error) -> OpaquePointer {
        guard PublicKey.hasValidLength(encoded), let p = EC_POINT_new(group) else { throw .invalidPublicKey }
        let ok = encoded.withUnsafeBufferPointer { EC_POINT_oct2point(group, p, $0.baseAddress, $0.count, ctx) }
        guard ok == 1, EC_POINT_is_at_infinity(group, p) == 0 else {
            EC_POINT_free(p)
            throw .invalidPublicKey
        }
        return p
    }

    private func encode(_ p: OpaquePointer, compressed: Bool, _ ctx: OpaquePointer) -> [UInt8] {
        let form = compressed ? POINT_CONVERSION_COMPRESSED : POINT_CONVERSION_UNCOMPRESSED
        let size = compressed ? 33 : 65
        return [UInt8](unsafeUninitializedCapacity: size) { buf, n in
            n = EC_POINT_point2oct(group, p, form, buf.baseAddress, size, ctx)
        }
    }

    func publicKey(secret: [UInt8], compressed: Bool) throws(Secp256k1Error) -> [UInt8] {
        try withContext { ctx throws(Secp256k1Error) in
            let d = bignum(secret)
            defer { BN_clear_free(d) }
            guard let p = EC_POINT_new(group) else { throw .backendFailure("EC_POINT_new") }
            defer { EC_POINT_free(p) }
            guard EC_POINT_mul(group, p, d, nil, nil, ctx) == 1 else { throw .backendFailure("EC_POINT_mul") }
            return encode(p, compressed: compressed, ctx)
        }
    }

    func serialize(publicKey: [UInt8], compressed: Bool) throws(Secp256k1Error) -> [UInt8] {
        try withContext { ctx throws(Secp256k1Error) in
            let p = try point(publicKey, ctx)
            defer { EC_POINT_free(p) }
            return encode(p, compressed: compressed, ctx)
        }
    }

    func sign(digest: [UInt8], secret: [UInt8]) throws(Secp256k1Error) -> ECDSASignature {
        try withContext { ctx throws(Secp256k1Error) in
            guard let key = EC_KEY_new() else { throw .backendFailure("EC_KEY_new") }
            defer { EC_KEY_free(key) }
            let d = bignum(secret)
            defer { BN_clear_free(d) }
            guard EC_KEY_set_group(key, group) == 1, EC_KEY_set_private_key(key, d) == 1 else {
                throw .backendFailure("EC_KEY_set_private_key")
            }
            // Each RFC 6979 candidate in turn; a second one is needed only if s comes out 0.
            for k in RFC6979.nonces(secret: secret, digest: digest, count: 4) {
                if let signature = try sign(digest: digest, key: key, nonce: k, ctx) { return signature.normalized }
            }
            throw .backendFailure("no usable nonce")
        }
    }

    private func sign(digest: [UInt8], key: OpaquePointer, nonce: [UInt8], _ ctx: OpaquePointer) throws(Secp256k1Error) -> ECDSASignature? {
        let k = bignum(nonce)
        defer { BN_clear_free(k) }
        // The nonce is secret: OpenSSL then inverts it without branching on its bits.
        BN_set_flags(k, BN_FLG_CONSTTIME)
        guard let rPoint = EC_POINT_new(group), let x = BN_new(), let r = BN_new() else { throw .backendFailure("alloc") }
        defer { EC_POINT_free(rPoint); BN_free(x); BN_free(r) }
        guard EC_POINT_mul(group, rPoint, k, nil, nil, ctx) == 1,
              EC_POINT_get_affine_coordinates(group, rPoint, x, nil, ctx) == 1,
              BN_nnmod(r, x, order, ctx) == 1
        else { throw .backendFailure("R = k·G") }
        guard BN_is_zero(r) == 0 else { return nil }
        guard let kInverse = BN_mod_inverse(nil, k, order, ctx) else { throw .backendFailure("k⁻¹") }
        defer { BN_clear_free(kInverse) }
        let sig = digest.withUnsafeBufferPointer { ECDSA_do_sign_ex($0.baseAddress, 32, kInverse, r, key) }
        guard let sig else { return nil }
        defer { ECDSA_SIG_free(sig) }
        var rOut: OpaquePointer?
        var sOut: OpaquePointer?
        ECDSA_SIG_get0(sig, &rOut, &sOut)
        guard let rOut, let sOut else { throw .backendFailure("ECDSA_SIG_get0") }
        return try ECDSASignature(r: bytes32(rOut), s: bytes32(sOut))
    }

    func verify(signature: ECDSASignature, digest: [UInt8], publicKey: [UInt8]) -> Bool {
        guard signature.isInRange, digest.count == 32 else { return false }
        let result = try? withContext { ctx throws(Secp256k1Error) -> Bool in
            let p = try point(publicKey, ctx)
            defer { EC_POINT_free(p) }
            guard let key = EC_KEY_new() else { throw .backendFailure("EC_KEY_new") }
            defer { EC_KEY_free(key) }
            guard EC_KEY_set_group(key, group) == 1, EC_KEY_set_public_key(key, p) == 1,
                  let sig = ECDSA_SIG_new()
            else { throw .backendFailure("EC_KEY_set_public_key") }
            defer { ECDSA_SIG_free(sig) }
            let r = bignum(signature.r)
            let s = bignum(signature.s)
            guard ECDSA_SIG_set0(sig, r, s) == 1 else {
                BN_free(r); BN_free(s)
                throw .backendFailure("ECDSA_SIG_set0")
            }
            return digest.withUnsafeBufferPointer { ECDSA_do_verify($0.baseAddress, 32, sig, key) } == 1
        }
        return result ?? false
    }

    func tweakAdd(secret: [UInt8], tweak: [UInt8]) throws(Secp256k1Error) -> [UInt8] {
        guard tweak.count == 32, Scalar.compare(tweak, Scalar.order) < 0 else { throw .invalidTweak }
        return try withContext { ctx throws(Secp256k1Error) in
            let a = bignum(secret), b = bignum(tweak)
            guard let sum = BN_new() else { throw .backendFailure("BN_new") }
            defer { BN_clear_free(a); BN_clear_free(b); BN_clear_free(sum) }
            guard BN_mod_add(sum, a, b, order, ctx) == 1 else { throw .backendFailure("BN_mod_add") }
            guard BN_is_zero(sum) == 0 else { throw .invalidTweak }
            return bytes32(sum)
        }
    }

    func tweakAdd(publicKey: [UInt8], tweak: [UInt8]) throws(Secp256k1Error) -> [UInt8] {
        guard tweak.count == 32, Scalar.compare(tweak, Scalar.order) < 0 else { throw .invalidTweak }
        return try withContext { ctx throws(Secp256k1Error) in
            let p = try point(publicKey, ctx)
            let t = bignum(tweak)
            guard let sum = EC_POINT_new(group) else { throw .backendFailure("EC_POINT_new") }
            defer { EC_POINT_free(p); BN_free(t); EC_POINT_free(sum) }
            // sum = t·G + 1·P
            let one = BN_value_one()
            guard EC_POINT_mul(group, sum, t, p, one, ctx) == 1 else { throw .backendFailure("EC_POINT_mul") }
            guard EC_POINT_is_at_infinity(group, sum) == 0 else { throw .invalidTweak }
            return encode(sum, compressed: true, ctx)
        }
    }
}
