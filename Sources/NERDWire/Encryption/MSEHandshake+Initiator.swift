import NIOCore

extension MSEHandshake {
    /// Step 3, once Yb is known: the two hashes, then the encrypted VC, `crypto_provide`,
    /// PadC and IA. Also prepares the ciphers and the encrypted VC to scan for in step 4.
    mutating func initiatorStep3() -> [UInt8] {
        guard case .initiator(let skey, let initialPayload) = role else { preconditionFailure("initiator only") }
        infoHash = skey
        encryptor = cipher("keyA")
        decryptor = cipher("keyB")
        // B's step 4 starts with VC encrypted by the first bytes of its stream.
        let encryptedVC = decrypt(Self.verificationConstant)
        state = .syncing(marker: encryptedVC, skipped: 0)
        let req2 = hash("req2", skey)
        let req3 = hash("req3", secret)
        let padC = zeroPad
        let body = Self.verificationConstant + Self.uint32(methods.rawValue) + Self.uint16(padC.count) + padC
            + Self.uint16(initialPayload.count) + initialPayload
        return hash("req1", secret) + zip(req2, req3).map { $0 ^ $1 } + encrypt(body)
    }

    /// Step 4 after the encrypted VC: `crypto_select`, len(PadD), PadD.
    mutating func initiatorStep(_ buffer: inout ByteBuffer, _ actions: inout [Action]) throws(WireError) -> Bool {
        switch state {
        case .awaitingSelect:
            guard let raw = buffer.readBytes(length: 6) else { return false }
            let fields = decrypt(raw)
            let selected = MSECryptoMethods(rawValue: Self.readUInt32(fields[0..<4]))
            // The receiver must pick exactly one of the methods offered.
            guard selected == .plaintext || selected == .rc4, methods.contains(selected) else {
                throw WireError(.encryptionNegotiationFailed, "peer selected \(selected), offered \(methods)")
            }
            let padLength = Self.readUInt16(fields[4..<6])
            guard padLength <= Self.maxPadding else {
                throw WireError(.invalidEncryptionHandshake, "PadD of \(padLength) bytes exceeds 512")
            }
            state = .awaitingPadD(length: padLength, selected: selected)
            return true
        case .awaitingPadD(let length, let selected):
            guard let raw = buffer.readBytes(length: length) else { return false }
            _ = decrypt(raw)
            state = .done
            actions.append(.complete(Outcome(method: selected, infoHash: infoHash, initialPayload: [],
                                             encryptor: encryptor!, decryptor: decryptor!)))
            return true
        default:
            preconditionFailure("not an initiator state")
        }
    }
}
