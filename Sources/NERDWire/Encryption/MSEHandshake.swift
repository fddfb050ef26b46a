import NERDCrypto
import NIOCore

/// The Message Stream Encryption handshake (MSE/PE, the Azureus "Message Stream Encryption"
/// specification that libtorrent, Transmission and qBittorrent implement) as a pure state
/// machine: feed it the bytes that arrive, send the bytes it asks for. No sockets, no time:
/// the caller bounds how long it waits.
///
/// The exchange, with A the initiator and B the receiver:
///
/// ```
/// 1 A→B  Ya, PadA                                   Ya: 96-byte DH public key, pads 0–512 random bytes
/// 2 B→A  Yb, PadB
/// 3 A→B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
///        ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA)), ENCRYPT(IA)
/// 4 B→A  ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload stream
/// 5 A→B  the payload stream
/// ```
///
/// S is the 96-byte DH secret, SKEY the torrent's 20-byte info-hash, HASH SHA-1, VC eight
/// zero bytes, lengths 2-byte and fields 4-byte big-endian. ENCRYPT is RC4 keyed with
/// HASH('keyA', S, SKEY) from A and HASH('keyB', S, SKEY) from B, each dropping its first
/// 1024 bytes. B finds the torrent by comparing HASH('req2', SKEY) with each of its own.
/// The receiver finds step 3 by scanning for HASH('req1', S) within 532 bytes after Ya; the
/// initiator finds step 4 by scanning for the encrypted VC within 520 bytes after Yb.
///
/// Memory is bounded: the scans keep at most one marker's length of unmatched bytes, and
/// every length field is checked before its bytes are awaited (pads 512, IA 65535).
public struct MSEHandshake: Sendable {
    /// Most padding bytes in PadA, PadB, PadC or PadD.
    public static let maxPadding = 512
    /// Most bytes a receiver may need to hold at once before completing: IA at its largest
    /// plus its length field. A caller buffering more than this has a misbehaving peer.
    public static let maxBufferedBytes = 2 + 65_535 + 512 + 96
    static let verificationConstant = [UInt8](repeating: 0, count: 8)
    static let discardedKeyStream = 1024

    /// How long the pads are.
    public enum Padding: Sendable {
        /// PadA/PadB random bytes of random length 0–512; PadC/PadD empty (libtorrent's way).
        case random
        /// Every pad exactly this many bytes (0–512): PadA/PadB random, PadC/PadD zeros.
        case fixed(Int)
    }

    public enum Role: Sendable {
        /// Dials: knows the torrent; `initialPayload` (IA, at most 65535 bytes) rides in step 3.
        case initiator(infoHash: [UInt8], initialPayload: [UInt8] = [])
        /// Accepts: `findInfoHash` maps HASH('req2', SKEY) (20 bytes) to the info-hash of one
        /// of its torrents, or nil when it has none such.
        case receiver(findInfoHash: @Sendable ([UInt8]) -> [UInt8]?)
    }

    /// What a finished handshake agreed.
    public struct Outcome: Sendable {
        /// Exactly one of `.plaintext` and `.rc4`: how the payload stream continues.
        public var method: MSECryptoMethods
        /// The torrent's 20-byte info-hash (SKEY).
        public var infoHash: [UInt8]
        /// The receiver's decrypted IA (the initiator's first payload bytes); empty for the initiator.
        public var initialPayload: [UInt8]
        /// Ciphers positioned at the start of the payload stream; use them when `method` is `.rc4`.
        public var encryptor: RC4
        public var decryptor: RC4
    }

    public enum Action: Sendable {
        /// Write these bytes to the peer, in order.
        case send([UInt8])
        /// The handshake is over; the bytes left in the buffer are the payload stream.
        case complete(Outcome)
    }

    enum State: Sendable {
        case idle
        case awaitingPublicKey
        /// Scanning for `marker` (req1 hash or encrypted VC); `skipped` pad bytes dropped so far.
        case syncing(marker: [UInt8], skipped: Int)
        case awaitingInfoHash
        case awaitingProvide
        case awaitingPadC(length: Int, provided: MSECryptoMethods)
        case awaitingInitialPayload(length: Int, provided: MSECryptoMethods)
        case awaitingSelect
        case awaitingPadD(length: Int, selected: MSECryptoMethods)
        case done
        case failed
    }

    let role: Role
    let methods: MSECryptoMethods
    let padding: Padding
    let keys: MSEKeyExchange
    var state: State = .idle
    var secret: [UInt8] = []
    var infoHash: [UInt8] = []
    var encryptor: RC4?
    var decryptor: RC4?

    /// - Parameters:
    ///   - role: initiator (with the torrent) or receiver (with a lookup of its torrents).
    ///   - methods: initiator: what to offer as `crypto_provide`; receiver: what it accepts,
    ///     choosing plaintext when both are offered and allowed (libtorrent's default,
    ///     `prefer_rc4 = false`). Must hold `.plaintext`, `.rc4` or both.
    ///   - padding: pad lengths; `.random` outside tests.
    ///   - keys: the DH key pair; a fresh random one by default.
    public init(role: Role, methods: MSECryptoMethods, padding: Padding = .random, keys: MSEKeyExchange = MSEKeyExchange()) {
        precondition(!methods.intersection(.known).isEmpty, "MSE needs plaintext or RC4 allowed")
        if case .initiator(let infoHash, let payload) = role {
            precondition(infoHash.count == 20 && payload.count <= 65_535, "SKEY is 20 bytes, IA at most 65535")
        }
        if case .fixed(let length) = padding { precondition((0...Self.maxPadding).contains(length), "pads are 0–512 bytes") }
        self.role = role
        self.methods = methods.intersection(.known)
        self.padding = padding
        self.keys = keys
    }

    var isInitiator: Bool {
        if case .initiator = role { return true }
        return false
    }

    /// Starts the exchange. - Returns: the initiator's step 1 (Ya, PadA); nothing for a receiver.
    public mutating func start() -> [Action] {
        guard case .idle = state else { return [] }
        state = .awaitingPublicKey
        return isInitiator ? [.send(keys.publicKey + randomPad())] : []
    }

    /// Consumes what it can of `buffer` (the peer's bytes, in order).
    ///
    /// - Returns: the actions to take, in order; `.complete` is the last one ever returned,
    ///   and what it leaves in `buffer` is the start of the payload stream.
    /// - Throws: ``WireError`` `.invalidEncryptionHandshake` (no sync within the pad limit,
    ///   bad VC, a pad length over 512, a bad public key), `.unknownInfoHash` (receiver: no
    ///   torrent matches), `.encryptionNegotiationFailed` (no crypto method in common). After
    ///   a throw the handshake is dead.
    public mutating func receive(_ buffer: inout ByteBuffer) throws(WireError) -> [Action] {
        if case .idle = state { _ = start() }
        var actions: [Action] = []
        do {
            while try step(&buffer, &actions) {}
        } catch {
            state = .failed
            throw error
        }
        return actions
    }

    /// One state transition if `buffer` holds enough. - Returns: whether it advanced.
    private mutating func step(_ buffer: inout ByteBuffer, _ actions: inout [Action]) throws(WireError) -> Bool {
        switch state {
        case .idle, .done:
            return false
        case .failed:
            throw WireError(.invalidEncryptionHandshake, "the handshake already failed")
        case .awaitingPublicKey:
            guard let key = buffer.readBytes(length: MSEKeyExchange.keyLength) else { return false }
            secret = try keys.sharedSecret(peerPublicKey: key)
            if isInitiator { actions.append(.send(initiatorStep3())) } else { actions.append(.send(receiverStep2())) }
            return true
        case .syncing(let marker, let skipped):
            return try sync(&buffer, marker: marker, skipped: skipped)
        case .awaitingInfoHash, .awaitingProvide, .awaitingPadC, .awaitingInitialPayload:
            return try receiverStep(&buffer, &actions)
        case .awaitingSelect, .awaitingPadD:
            return try initiatorStep(&buffer, &actions)
        }
    }

    /// Looks for `marker` in the bytes after the public key, at most `maxPadding` bytes in.
    private mutating func sync(_ buffer: inout ByteBuffer, marker: [UInt8], skipped: Int) throws(WireError) -> Bool {
        let window = min(buffer.readableBytes, Self.maxPadding - skipped + marker.count)
        let found = buffer.withUnsafeReadableBytes { Self.firstIndex(of: marker, in: UnsafeRawBufferPointer(rebasing: $0[..<window])) }
        if let found {
            buffer.moveReaderIndex(forwardBy: found + marker.count)
            state = isInitiator ? .awaitingSelect : .awaitingInfoHash
            return true
        }
        if window == Self.maxPadding - skipped + marker.count {
            throw WireError(.invalidEncryptionHandshake,
                            isInitiator ? "no encrypted VC within 512 bytes of padding" : "no req1 hash within 512 bytes of padding")
        }
        // Keep a possible partial marker at the end; the rest is padding.
        let drop = max(0, window - (marker.count - 1))
        buffer.moveReaderIndex(forwardBy: drop)
        state = .syncing(marker: marker, skipped: skipped + drop)
        return false
    }

    static func firstIndex(of marker: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        return marker.withUnsafeBytes { m in
            (0...(bytes.count - m.count)).first { start in
                memcmp(bytes.baseAddress! + start, m.baseAddress!, m.count) == 0
            }
        }
    }

    // MARK: Shared pieces

    mutating func randomPad() -> [UInt8] {
        switch padding {
        case .random: SecureRandom.bytes(count: Int.random(in: 0...Self.maxPadding))
        case .fixed(let length): SecureRandom.bytes(count: length)
        }
    }

    /// PadC/PadD: reserved for extensions, so zeros; empty unless a test fixes the length.
    var zeroPad: [UInt8] {
        if case .fixed(let length) = padding { return [UInt8](repeating: 0, count: length) }
        return []
    }

    func hash(_ label: String, _ parts: [UInt8]...) -> [UInt8] {
        SHA1.hash(Array(label.utf8) + parts.joined())
    }

    /// RC4 keyed with HASH(label, S, SKEY), its first 1024 bytes dropped.
    func cipher(_ label: String) -> RC4 {
        var rc4 = RC4(key: hash(label, secret, infoHash))
        rc4.discard(Self.discardedKeyStream)
        return rc4
    }

    /// `bytes` after decryption with the incoming cipher (set once the keys are known).
    mutating func decrypt(_ bytes: [UInt8]) -> [UInt8] { decryptor!.processed(bytes) }
    mutating func encrypt(_ bytes: [UInt8]) -> [UInt8] { encryptor!.processed(bytes) }

    static func uint16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func uint32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
    static func readUInt16(_ bytes: ArraySlice<UInt8>) -> Int { Int(bytes[bytes.startIndex]) << 8 | Int(bytes[bytes.startIndex + 1]) }
    static func readUInt32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
