import NIOCore

extension MSEHandshake {
    /// Step 2, once Ya is known: Yb and PadB; then scan for HASH('req1', S).
    mutating func receiverStep2() -> [UInt8] {
        state = .syncing(marker: hash("req1", secret), skipped: 0)
        return keys.publicKey + randomPad()
    }

    /// Step 3 after the req1 hash: SKEY, then the encrypted fields and IA; answers with step 4.
    mutating func receiverStep(_ buffer: inout ByteBuffer, _ actions: inout [Action]) throws(WireError) -> Bool {
        switch state {
        case .awaitingInfoHash:
            guard let obfuscated = buffer.readBytes(length: 20), case .receiver(let findInfoHash) = role else { return false }
            let req2 = zip(obfuscated, hash("req3", secret)).map { $0 ^ $1 }
            guard let skey = findInfoHash(req2) else {
                throw WireError(.unknownInfoHash, "no torrent here matches the peer's obfuscated info-hash")
            }
            infoHash = skey
            encryptor = cipher("keyB")
            decryptor = cipher("keyA")
            state = .awaitingProvide
            return true
        case .awaitingProvide:
            guard let raw = buffer.readBytes(length: 14) else { return false }
            let fields = decrypt(raw)
            guard fields[0..<8].allSatisfy({ $0 == 0 }) else {
                throw WireError(.invalidEncryptionHandshake, "verification constant is not zero")
            }
            let provided = MSECryptoMethods(rawValue: Self.readUInt32(fields[8..<12]))
            let padLength = Self.readUInt16(fields[12..<14])
            guard padLength <= Self.maxPadding else {
                throw WireError(.invalidEncryptionHandshake, "PadC of \(padLength) bytes exceeds 512")
            }
            state = .awaitingPadC(length: padLength, provided: provided)
            return true
        case .awaitingPadC(let length, let provided):
            guard let raw = buffer.readBytes(length: length + 2) else { return false }
            let fields = decrypt(raw)
            state = .awaitingInitialPayload(length: Self.readUInt16(fields[length...]), provided: provided)
            return true
        case .awaitingInitialPayload(let length, let provided):
            guard let raw = buffer.readBytes(length: length) else { return false }
            let initialPayload = decrypt(raw)
            let common = provided.intersection(methods)
            // Plaintext when both sides allow it, as libtorrent does by default (prefer_rc4 = false).
            let selected: MSECryptoMethods
            if common.contains(.plaintext) {
                selected = .plaintext
            } else if common.contains(.rc4) {
                selected = .rc4
            } else {
                throw WireError(.encryptionNegotiationFailed, "peer offered \(provided), accepted \(methods)")
            }
            let padD = zeroPad
            actions.append(.send(encrypt(Self.verificationConstant + Self.uint32(selected.rawValue) + Self.uint16(padD.count) + padD)))
            state = .done
            actions.append(.complete(Outcome(method: selected, infoHash: infoHash, initialPayload: initialPayload,
                                             encryptor: encryptor!, decryptor: decryptor!)))
            return true
        default:
            preconditionFailure("not a receiver state")
        }
    }
}
