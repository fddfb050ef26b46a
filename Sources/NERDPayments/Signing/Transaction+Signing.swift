import NERDCrypto

/// Signing inputs: FORKID digests by default, RFC 6979 signatures, low-S, strict DER.
extension Transaction {
    /// A signature for a script: DER ‖ sighash byte.
    ///
    /// - Parameters:
    ///   - scriptCode: the locking script of the output being spent.
    ///   - satoshis: that output's amount (committed to by the FORKID digest).
    /// - Throws: `PaymentsError.invalidSigningRequest` for a missing input, `.key` if the
    ///   backend fails.
    ///   - hashes: the transaction's digest data, when signing several inputs (unlocking
    ///     scripts are not part of any digest, so one serves every input).
    public func signature(
        inputIndex: Int, key: PrivateKey, scriptCode: Script, satoshis: UInt64,
        type: SighashType = .allForkID, backend: Secp256k1Backend = .default, hashes: SignatureHash? = nil
    ) throws(PaymentsError) -> [UInt8] {
        guard inputs.indices.contains(inputIndex) else { throw .invalidSigningRequest("input \(inputIndex) does not exist") }
        // The original digest of SIGHASH_SINGLE without a matching output is the constant 1; a
        // signature over it would spend any output of this key.
        if !type.usesForkIDDigest && type.isSingle && inputIndex >= outputs.count {
            throw .invalidSigningRequest("SIGHASH_SINGLE needs an output at index \(inputIndex)")
        }
        let digest = try (hashes ?? SignatureHash(self)).digest(inputIndex: inputIndex, scriptCode: scriptCode.bytes, satoshis: satoshis, type: type)
        do {
            return try key.sign(digest: digest, backend: backend).derEncoded + [type.byte]
        } catch {
            throw .key(error)
        }
    }

    /// Signs a P2PKH (or inscription-then-P2PKH) input: the unlocking script becomes
    /// <signature> <public key>.
    ///
    /// - Throws: `PaymentsError.invalidSigningRequest` when the key does not match the
    ///   locking script's public-key hash or the input is missing.
    public mutating func signP2PKH(
        inputIndex: Int, key: PrivateKey, compressed: Bool = true, lockingScript: Script, satoshis: UInt64,
        type: SighashType = .allForkID, hashes: SignatureHash? = nil
    ) throws(PaymentsError) {
        let publicKey = key.publicKey(compressed: compressed)
        let hash = Hash160.hash(publicKey.bytes)
        guard lockingScript.bytes.count >= 25, Array(lockingScript.bytes.suffix(25)) == Script.p2pkh(publicKeyHash: hash).bytes else {
            throw .invalidSigningRequest("the key does not own this P2PKH output")
        }
        let sig = try signature(inputIndex: inputIndex, key: key, scriptCode: lockingScript, satoshis: satoshis, type: type, hashes: hashes)
        inputs[inputIndex].unlockingScript = .p2pkhUnlocking(signature: sig, publicKey: publicKey)
    }

    /// Signs a bare multisig input with `keys` (m of them, in the order their public keys
    /// appear in the locking script): the unlocking script becomes OP_0 <sig>….
    ///
    /// - Throws: `PaymentsError.invalidSigningRequest` when the script is not multisig, the
    ///   key count is not m, or a key is not in the script.
    public mutating func signMultisig(
        inputIndex: Int, keys: [PrivateKey], lockingScript: Script, satoshis: UInt64, type: SighashType = .allForkID,
        hashes: SignatureHash? = nil
    ) throws(PaymentsError) {
        guard let template = lockingScript.multisigTemplate else { throw .invalidSigningRequest("not a bare multisig script") }
        guard keys.count == template.required else {
            throw .invalidSigningRequest("\(template.required) signatures needed, \(keys.count) keys given")
        }
        var lastPosition = -1
        for key in keys {
            // Each form derived once: a public key costs a scalar multiplication.
            let forms = [key.publicKey(compressed: true).bytes, key.publicKey(compressed: false).bytes]
            let position = template.publicKeys.firstIndex { forms.contains($0) }
            guard let position, position > lastPosition else {
                throw .invalidSigningRequest("keys must be in the script and in its order")
            }
            lastPosition = position
        }
        let hashes = hashes ?? SignatureHash(self)
        var signatures: [[UInt8]] = []
        for key in keys {
            signatures.append(try signature(inputIndex: inputIndex, key: key, scriptCode: lockingScript, satoshis: satoshis, type: type,
                                            hashes: hashes))
        }
        inputs[inputIndex].unlockingScript = .multisigUnlocking(signatures: signatures)
    }
}
