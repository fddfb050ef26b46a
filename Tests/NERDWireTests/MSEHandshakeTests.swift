import NERDCrypto
import NERDWire
import NIOCore
import Testing

/// The MSE/PE handshake between a NERD initiator and a NERD receiver, in memory.
@Suite struct MSEHandshakeTests {
    /// The code of the ``WireError`` `body` throws (tests compare codes, not reasons).
    func errorCode(_ body: () throws -> Void) -> WireError.Code? {
        do { try body() } catch { return (error as? WireError)?.code }
        return nil
    }

    static let infoHash = SHA1.hash(Array("a torrent".utf8))
    static let otherHash = SHA1.hash(Array("another torrent".utf8))
    static let btHandshake = Handshake(infoHash: infoHash, peerID: Array("-NE0001-abcdefghijkl".utf8)).bytes

    /// A receiver that knows `known` info-hashes.
    static func receiver(knowing known: [[UInt8]] = [otherHash, infoHash], methods: MSECryptoMethods,
                         padding: MSEHandshake.Padding = .random) -> MSEHandshake {
        let table = Dictionary(uniqueKeysWithValues: known.map { (SHA1.hash(Array("req2".utf8) + $0), $0) })
        return MSEHandshake(role: .receiver(findInfoHash: { table[$0] }), methods: methods, padding: padding)
    }

    /// Two handshakes wired back to back; bytes move `chunk` at a time in each direction.
    struct Exchange {
        var initiator: MSEHandshake
        var receiver: MSEHandshake
        /// Sent by the receiver right after its step 4, through the selected method.
        var receiverPayload: [UInt8] = Array("bitfield from B".utf8)
        var toReceiver: [UInt8] = []
        var toInitiator: [UInt8] = []
        var initiatorInbox = ByteBuffer()
        var receiverInbox = ByteBuffer()
        var initiatorOutcome: MSEHandshake.Outcome?
        var receiverOutcome: MSEHandshake.Outcome?

        mutating func run(chunk: Int) throws(WireError) {
            toReceiver = sends(initiator.start())
            for _ in 0..<100_000 where initiatorOutcome == nil || receiverOutcome == nil {
                guard !toReceiver.isEmpty || !toInitiator.isEmpty else { break }
                let a = toReceiver.prefix(chunk)
                toReceiver.removeFirst(a.count)
                receiverInbox.writeBytes(a)
                if receiverOutcome == nil {
                    for action in try receiver.receive(&receiverInbox) {
                        switch action {
                        case .send(let bytes): toInitiator += bytes
                        case .complete(var outcome):
                            toInitiator += outcome.method == .rc4 ? outcome.encryptor.processed(receiverPayload) : receiverPayload
                            receiverOutcome = outcome
                        }
                    }
                }
                let b = toInitiator.prefix(chunk)
                toInitiator.removeFirst(b.count)
                initiatorInbox.writeBytes(b)
                if initiatorOutcome == nil {
                    for action in try initiator.receive(&initiatorInbox) {
                        switch action {
                        case .send(let bytes): toReceiver += bytes
                        case .complete(let outcome): initiatorOutcome = outcome
                        }
                    }
                }
            }
        }

        func sends(_ actions: [MSEHandshake.Action]) -> [UInt8] {
            actions.flatMap { action -> [UInt8] in
                if case .send(let bytes) = action { return bytes }
                return []
            }
        }

        /// What the initiator has received after its handshake, decrypted when RC4 was chosen.
        mutating func initiatorPayload() -> [UInt8] {
            var rest = Array(initiatorInbox.readableBytesView) + toInitiator
            if initiatorOutcome?.method == .rc4 { initiatorOutcome!.decryptor.process(&rest) }
            return rest
        }
    }

    static let cases: [(MSECryptoMethods, MSECryptoMethods, MSECryptoMethods)] = [
        ([.plaintext, .rc4], [.plaintext, .rc4], .plaintext),
        ([.rc4], [.plaintext, .rc4], .rc4),
        ([.plaintext, .rc4], [.rc4], .rc4),
        ([.plaintext], [.plaintext, .rc4], .plaintext),
    ]

    @Test(arguments: [1, 7, 97, 1 << 20])
    func initiatorAndReceiverAgree(chunk: Int) throws {
        for (offered, accepted, expected) in Self.cases {
            var exchange = Exchange(
                initiator: MSEHandshake(role: .initiator(infoHash: Self.infoHash, initialPayload: Self.btHandshake), methods: offered),
                receiver: Self.receiver(methods: accepted))
            try exchange.run(chunk: chunk)
            let a = try #require(exchange.initiatorOutcome)
            let b = try #require(exchange.receiverOutcome)
            #expect(a.method == expected && b.method == expected, "\(offered) → \(accepted)")
            #expect(a.infoHash == Self.infoHash && b.infoHash == Self.infoHash)
            #expect(b.initialPayload == Self.btHandshake)
            #expect(exchange.initiatorPayload() == exchange.receiverPayload)
        }
    }

    /// Every pad at its 512-byte maximum: both scans still find their markers.
    @Test(arguments: [1, 33, 4096])
    func resynchronisesAfterMaximalPadding(chunk: Int) throws {
        var exchange = Exchange(
            initiator: MSEHandshake(role: .initiator(infoHash: Self.infoHash), methods: [.rc4], padding: .fixed(512)),
            receiver: Self.receiver(methods: [.plaintext, .rc4], padding: .fixed(512)))
        try exchange.run(chunk: chunk)
        #expect(exchange.initiatorOutcome?.method == .rc4)
        #expect(exchange.receiverOutcome?.initialPayload == [])
        #expect(exchange.initiatorPayload() == exchange.receiverPayload)
    }

    /// After RC4 is selected the two ciphers stay in step in both directions.
    @Test func rc4StreamsStayInStepAfterTheHandshake() throws {
        var exchange = Exchange(initiator: MSEHandshake(role: .initiator(infoHash: Self.infoHash), methods: [.rc4]),
                                receiver: Self.receiver(methods: [.rc4]))
        try exchange.run(chunk: 1 << 20)
        // B's first payload bytes went out in run(); A decrypts them here, so both ciphers
        // of each direction stand at the same stream position afterwards.
        #expect(exchange.initiatorPayload() == exchange.receiverPayload)
        var a = try #require(exchange.initiatorOutcome)
        var b = try #require(exchange.receiverOutcome)
        for round in 0..<5 {
            let message = [UInt8](repeating: UInt8(round), count: 1000 * (round + 1))
            #expect(b.decryptor.processed(a.encryptor.processed(message)) == message)
            #expect(a.decryptor.processed(b.encryptor.processed(message)) == message)
        }
    }

    @Test func plaintextOnlyAgainstRC4OnlyFails() {
        var exchange = Exchange(initiator: MSEHandshake(role: .initiator(infoHash: Self.infoHash), methods: [.plaintext]),
                                receiver: Self.receiver(methods: [.rc4]))
        #expect(errorCode { try exchange.run(chunk: 100) } == .encryptionNegotiationFailed)
    }

    @Test func unknownTorrentIsRefused() {
        var exchange = Exchange(initiator: MSEHandshake(role: .initiator(infoHash: Self.infoHash), methods: [.rc4]),
                                receiver: Self.receiver(knowing: [Self.otherHash], methods: [.rc4]))
        #expect(errorCode { try exchange.run(chunk: 100) } == .unknownInfoHash)
    }

    /// A valid-looking key followed by noise: the receiver gives up once 512 bytes of
    /// padding hold no req1 hash, whether the noise comes at once or a byte at a time.
    @Test(arguments: [1, 50, 10_000])
    func receiverRejectsGarbageAfterTheKey(chunk: Int) throws {
        var receiver = Self.receiver(methods: [.plaintext, .rc4])
        let garbage = MSEKeyExchange().publicKey + SecureRandom.bytes(count: 10_000)
        var inbox = ByteBuffer()
        var failure: WireError?
        var offset = 0
        while offset < garbage.count, failure == nil {
            inbox.writeBytes(garbage[offset..<min(garbage.count, offset + chunk)])
            offset += chunk
            do { _ = try receiver.receive(&inbox) } catch { failure = error }
            // Unconsumed: at most a partial key, then at most a partial marker.
            if failure == nil { #expect(inbox.readableBytes <= 95) }
        }
        #expect(failure?.code == .invalidEncryptionHandshake)
        #expect(offset <= 96 + 532 + chunk)
    }

    @Test func initiatorRejectsGarbageAfterTheKey() throws {
        var initiator = MSEHandshake(role: .initiator(infoHash: Self.infoHash), methods: [.rc4])
        _ = initiator.start()
        var inbox = ByteBuffer(bytes: MSEKeyExchange().publicKey + SecureRandom.bytes(count: 600))
        #expect(errorCode { _ = try initiator.receive(&inbox) } == .invalidEncryptionHandshake)
    }

    /// A zero public key (which would make S known to anyone) is refused at once.
    @Test func degeneratePublicKeyIsRefused() {
        var receiver = Self.receiver(methods: [.rc4])
        var inbox = ByteBuffer(bytes: [UInt8](repeating: 0, count: 96))
        #expect(errorCode { _ = try receiver.receive(&inbox) } == .invalidEncryptionHandshake)
    }

    /// A flipped bit in the encrypted part of step 3 breaks the verification constant.
    @Test func tamperedVerificationConstantIsRefused() throws {
        var initiator = MSEHandshake(role: .initiator(infoHash: Self.infoHash), methods: [.rc4], padding: .fixed(0))
        var receiver = Self.receiver(methods: [.rc4], padding: .fixed(0))
        var toB = ByteBuffer()
        for case .send(let bytes) in initiator.start() { toB.writeBytes(bytes) }
        var toA = ByteBuffer()
        for case .send(let bytes) in try receiver.receive(&toB) { toA.writeBytes(bytes) }
        var step3: [UInt8] = []
        for case .send(let bytes) in try initiator.receive(&toA) { step3 += bytes }
        step3[40] ^= 0x01  // first byte after the two 20-byte hashes: the encrypted VC
        var inbox = ByteBuffer(bytes: step3)
        #expect(errorCode { _ = try receiver.receive(&inbox) } == .invalidEncryptionHandshake)
    }
}
