import NERDWire

/// When a session uses Message Stream Encryption (MSE/PE) on its peer connections; the
/// counterpart of libtorrent's `in_enc_policy` / `out_enc_policy` with its default
/// `allowed_enc_level = both` and `prefer_rc4 = false`.
public enum EncryptionPolicy: String, Sendable, CaseIterable {
    /// Accept plain and encrypted handshakes (told apart by the first 20 bytes). Dial
    /// encrypted first, offering plaintext and RC4; a peer that closes an encrypted attempt
    /// before the BitTorrent handshake is dialled plain the next time, and the other way
    /// round (libtorrent's default behaviour). When a peer offers both, plaintext is chosen
    /// after the encrypted handshake, as libtorrent does by default.
    case enabled
    /// Encrypted handshakes only, in and out, and only RC4 for the stream after them.
    case forced
    /// Plain BitTorrent handshakes only; an encrypted attempt fails at its first byte.
    case disabled

    /// What this policy offers when dialling and accepts when answering.
    var methods: MSECryptoMethods {
        switch self {
        case .enabled, .disabled: [.plaintext, .rc4]
        case .forced: .rc4
        }
    }
}

/// How a connected peer's bytes travel.
public enum ConnectionEncryption: String, Sendable {
    /// A plain BitTorrent handshake: no MSE.
    case none
    /// An MSE handshake, then the payload in plaintext.
    case plaintext
    /// An MSE handshake, then the payload under RC4.
    case rc4
}
