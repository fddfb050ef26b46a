import NERDCrypto

/// The script templates NERD builds: P2PKH, bare multisig, `OP_FALSE OP_RETURN` data and the
/// 1Sat Ordinals inscription envelope.
extension Script {
    /// OP_DUP OP_HASH160 <20-byte hash> OP_EQUALVERIFY OP_CHECKSIG.
    public static func p2pkh(publicKeyHash: [UInt8]) -> Script {
        precondition(publicKeyHash.count == 20)
        return Script([Opcode.OP_DUP, Opcode.OP_HASH160, 20] + publicKeyHash + [Opcode.OP_EQUALVERIFY, Opcode.OP_CHECKSIG])
    }

    /// <signature ‖ sighash byte> <public key>: unlocks `p2pkh`.
    public static func p2pkhUnlocking(signature: [UInt8], publicKey: PublicKey) -> Script {
        var script = Script()
        script.append(push: signature)
        script.append(push: publicKey.bytes)
        return script
    }

    /// OP_m <key 1> … <key n> OP_n OP_CHECKMULTISIG; 1 ≤ m ≤ n ≤ 16.
    public static func multisig(required m: Int, publicKeys: [PublicKey]) -> Script {
        precondition(m >= 1 && m <= publicKeys.count && publicKeys.count <= 16)
        var script = Script([Opcode.smallInteger(m)])
        for key in publicKeys { script.append(push: key.bytes) }
        script.append(Opcode.smallInteger(publicKeys.count))
        script.append(Opcode.OP_CHECKMULTISIG)
        return script
    }

    /// OP_0 <sig 1> … <sig m>, the signatures in the order of their keys (the leading OP_0
    /// feeds CHECKMULTISIG's extra pop, which NULLDUMMY requires to be empty).
    public static func multisigUnlocking(signatures: [[UInt8]]) -> Script {
        var script = Script([Opcode.OP_0])
        for signature in signatures { script.append(push: signature) }
        return script
    }

    /// OP_FALSE OP_RETURN <push>…: a provably unspendable data output (may carry 0 satoshis).
    public static func data(_ pushes: [[UInt8]]) -> Script {
        var script = Script([Opcode.OP_FALSE, Opcode.OP_RETURN])
        for push in pushes { script.append(push: push) }
        return script
    }

    /// A 1Sat Ordinals inscription: OP_FALSE OP_IF "ord" OP_1 <content type> OP_0 <content>
    /// OP_ENDIF, followed by `lockingScript` (normally P2PKH) that owns the satoshi.
    public static func inscription(contentType: String, content: [UInt8], lockingScript: Script) -> Script {
        var script = Script([Opcode.OP_FALSE, Opcode.OP_IF])
        script.append(push: Array("ord".utf8))
        script.append(Opcode.OP_1)
        script.append(push: Array(contentType.utf8))
        script.append(Opcode.OP_0)
        script.append(push: content)
        script.append(Opcode.OP_ENDIF)
        return Script(script.bytes + lockingScript.bytes)
    }

    /// The 20-byte hash when this is exactly a P2PKH locking script.
    public var p2pkhPublicKeyHash: [UInt8]? {
        guard bytes.count == 25, bytes[0] == Opcode.OP_DUP, bytes[1] == Opcode.OP_HASH160, bytes[2] == 20,
              bytes[23] == Opcode.OP_EQUALVERIFY, bytes[24] == Opcode.OP_CHECKSIG else { return nil }
        return Array(bytes[3..<23])
    }

    /// (m, keys) when this is exactly a bare multisig locking script.
    public var multisigTemplate: (required: Int, publicKeys: [[UInt8]])? {
        guard let chunks = try? chunks(), chunks.count >= 4, chunks.last?.opcode == Opcode.OP_CHECKMULTISIG,
              let m = Opcode.smallIntegerValue(chunks[0].opcode),
              let n = Opcode.smallIntegerValue(chunks[chunks.count - 2].opcode),
              m >= 1, n == chunks.count - 3, m <= n else { return nil }
        let keys = chunks[1..<(chunks.count - 2)].compactMap(\.data)
        guard keys.count == n, keys.allSatisfy({ PublicKey.hasValidLength($0) }) else { return nil }
        return (m, keys)
    }

    /// Starts with OP_FALSE OP_RETURN (the only data outputs that may be 0 satoshis).
    public var isData: Bool { bytes.count >= 2 && bytes[0] == Opcode.OP_FALSE && bytes[1] == Opcode.OP_RETURN }
}
