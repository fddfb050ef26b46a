import NERDCrypto

/// A BIP 32 extended key: a private or public key with its chain code and position in the
/// tree, serialised as `xprv…` / `xpub…` (`tprv` / `tpub` on testnet).
public struct ExtendedKey: Sendable, Equatable {
    /// Child numbers at or above this are hardened (derivable from the private key only).
    public static let hardenedOffset: UInt32 = 0x8000_0000

    /// The private key, nil for a public-only (`xpub`) key.
    public let privateKey: PrivateKey?
    /// The compressed public key.
    public let publicKey: PublicKey
    /// 32 bytes.
    public let chainCode: [UInt8]
    public let depth: UInt8
    /// First 4 bytes of HASH160 of the parent's public key (zero for the master).
    public let parentFingerprint: [UInt8]
    public let childNumber: UInt32
    public let network: Network

    /// The master key from a seed (16–64 bytes): HMAC-SHA512("Bitcoin seed", seed).
    ///
    /// - Throws: `PaymentsError.invalidKeyEncoding` for a seed outside 16–64 bytes, `.key` in
    ///   the 2⁻¹²⁷-likely case the seed gives an invalid key.
    public init(seed: [UInt8], network: Network = .mainnet) throws(PaymentsError) {
        guard (16...64).contains(seed.count) else { throw .invalidKeyEncoding("a BIP 32 seed is 16–64 bytes") }
        let i = HMAC.sha512(key: Array("Bitcoin seed".utf8), message: seed)
        let key: PrivateKey
        do { key = try PrivateKey(secret: i[0..<32]) } catch { throw .key(error) }
        self.init(privateKey: key, publicKey: key.publicKey(), chainCode: Array(i[32...]), depth: 0,
                  parentFingerprint: [0, 0, 0, 0], childNumber: 0, network: network)
    }

    init(privateKey: PrivateKey?, publicKey: PublicKey, chainCode: [UInt8], depth: UInt8, parentFingerprint: [UInt8],
         childNumber: UInt32, network: Network) {
        self.privateKey = privateKey
        self.publicKey = publicKey
        self.chainCode = chainCode
        self.depth = depth
        self.parentFingerprint = parentFingerprint
        self.childNumber = childNumber
        self.network = network
    }

    /// First 4 bytes of HASH160(public key).
    public var fingerprint: [UInt8] { Array(Hash160.hash(publicKey.bytes).prefix(4)) }

    /// The same key without its private part.
    public var neutered: ExtendedKey {
        ExtendedKey(privateKey: nil, publicKey: publicKey, chainCode: chainCode, depth: depth,
                    parentFingerprint: parentFingerprint, childNumber: childNumber, network: network)
    }

    /// Child `index` (CKDpriv, or CKDpub for a public-only key).
    ///
    /// - Throws: `PaymentsError.invalidSigningRequest` for a hardened child of a public key
    ///   or at depth 255; `.key` for the rare index whose tweak is invalid (use the next one).
    public func child(_ index: UInt32) throws(PaymentsError) -> ExtendedKey {
        guard depth < 255 else { throw .invalidSigningRequest("BIP 32 depth is at most 255") }
        let hardened = index >= Self.hardenedOffset
        var data: [UInt8]
        if hardened {
            guard let privateKey else { throw .invalidSigningRequest("a hardened child needs the private key") }
            data = [0] + privateKey.secret
        } else {
            data = publicKey.bytes
        }
        data.appendLE(index.byteSwapped)  // ser32 is big-endian
        let i = HMAC.sha512(key: chainCode, message: data)
        let tweak = Array(i[0..<32])
        do {
            if let privateKey {
                let child = try privateKey.adding(tweak: tweak)
                return ExtendedKey(privateKey: child, publicKey: child.publicKey(), chainCode: Array(i[32...]), depth: depth + 1,
                                   parentFingerprint: fingerprint, childNumber: index, network: network)
            }
            return ExtendedKey(privateKey: nil, publicKey: try publicKey.adding(tweak: tweak), chainCode: Array(i[32...]),
                               depth: depth + 1, parentFingerprint: fingerprint, childNumber: index, network: network)
        } catch {
            throw .key(error)
        }
    }

    /// Derives a path such as `m/0'/1/2'` (an apostrophe or `h` marks hardened steps).
    ///
    /// - Throws: `PaymentsError.invalidKeyEncoding` for a malformed path, else as `child(_:)`.
    public func derive(path: String) throws(PaymentsError) -> ExtendedKey {
        var parts = path.split(separator: "/").map(String.init)
        if parts.first == "m" { parts.removeFirst() }
        var key = self
        for part in parts {
            let hardened = part.hasSuffix("'") || part.hasSuffix("h")
            guard let n = UInt32(hardened ? String(part.dropLast()) : part), n < Self.hardenedOffset else {
                throw .invalidKeyEncoding("bad path component \(part)")
            }
            key = try key.child(hardened ? n + Self.hardenedOffset : n)
        }
        return key
    }

    /// The Base58Check serialisation (78 bytes before the checksum).
    public var string: String {
        var out: [UInt8] = []
        out.appendLE((privateKey == nil ? network.xpubVersion : network.xprvVersion).byteSwapped)
        out.append(depth)
        out += parentFingerprint
        out.appendLE(childNumber.byteSwapped)
        out += chainCode
        out += privateKey.map { [0] + $0.secret } ?? publicKey.bytes
        return Base58.checkEncode(out)
    }

    /// Parses an `xprv` / `xpub` / `tprv` / `tpub` string.
    ///
    /// - Throws: `PaymentsError.invalidBase58`, `.badChecksum`, `.invalidKeyEncoding` for a
    ///   wrong length or version, `.key` for an invalid key.
    public init(_ text: String) throws(PaymentsError) {
        let bytes = try Base58.checkDecode(text)
        guard bytes.count == 78 else { throw .invalidKeyEncoding("an extended key is 78 bytes") }
        let version = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let isPrivate: Bool
        if let n = Network.allCases.first(where: { $0.xprvVersion == version }) {
            network = n
            isPrivate = true
        } else if let n = Network.allCases.first(where: { $0.xpubVersion == version }) {
            network = n
            isPrivate = false
        } else {
            throw .invalidKeyEncoding("unknown extended key version")
        }
        depth = bytes[4]
        parentFingerprint = Array(bytes[5..<9])
        childNumber = bytes[9..<13].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        chainCode = Array(bytes[13..<45])
        if depth == 0 && (parentFingerprint != [0, 0, 0, 0] || childNumber != 0) {
            throw .invalidKeyEncoding("a depth-0 key has no parent fingerprint or child number")
        }
        let keyData = Array(bytes[45..<78])
        do {
            if isPrivate {
                guard keyData[0] == 0 else { throw PaymentsError.invalidKeyEncoding("private key data must start with 0x00") }
                let key = try PrivateKey(secret: keyData[1...])
                privateKey = key
                publicKey = key.publicKey()
            } else {
                privateKey = nil
                publicKey = try PublicKey(bytes: keyData)
                guard publicKey.isCompressed else { throw PaymentsError.invalidKeyEncoding("xpub keys are compressed") }
            }
        } catch let error as PaymentsError {
            throw error
        } catch let error as Secp256k1Error {
            throw .key(error)
        } catch {
            throw .invalidKeyEncoding("\(error)")
        }
    }
}
