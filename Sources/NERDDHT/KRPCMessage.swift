import NERDWire

/// A KRPC message (BEP 5): a bencoded dictionary with transaction ID `t`, type `y` and a
/// query (`q`, `a`), a response (`r`) or an error (`e`).
public struct KRPCMessage: Sendable, Equatable {
    /// Largest datagram read, in bytes; and limits for decoding one.
    public static let maxSize = 4096
    static let limits = BencodeLimits(maxInputSize: maxSize, maxDepth: 6, maxStringLength: maxSize, maxElementCount: 512)

    public enum Body: Sendable, Equatable {
        case query(method: String, arguments: KRPCArguments)
        case response(KRPCArguments)
        case error(code: Int, message: String)
    }

    /// Transaction ID, echoed by the reply (at most 16 bytes here).
    public var transactionID: [UInt8]
    public var body: Body
    /// `v`: client version, if given.
    public var version: [UInt8]?
    /// `ip` (BEP 42): the requester's address as the responder sees it (6 or 18 bytes compact).
    public var yourAddress: [UInt8]?
    /// `ro` (BEP 43): the sender is read-only and should not be added to routing tables.
    public var readOnly: Bool

    public init(transactionID: [UInt8], body: Body, version: [UInt8]? = nil, yourAddress: [UInt8]? = nil, readOnly: Bool = false) {
        self.transactionID = transactionID
        self.body = body
        self.version = version
        self.yourAddress = yourAddress
        self.readOnly = readOnly
    }

    /// KRPC error codes (BEP 5).
    public enum ErrorCode {
        public static let generic = 201
        public static let server = 202
        public static let `protocol` = 203
        public static let methodUnknown = 204
    }

    /// Parses a datagram.
    /// - Throws: ``KRPCError`` with a code to answer with, and the transaction ID when one
    ///   could be read (a reply needs it; without it the datagram is dropped).
    public init(bytes: [UInt8]) throws(KRPCError) {
        self = try Self.parse(bytes)
    }

    // Kept as a static function filling locals: the release compiler (6.3.1) crashed on the
    // same logic written as an initialiser assigning `self`'s fields in a switch.
    private static func parse(_ bytes: [UInt8]) throws(KRPCError) -> KRPCMessage {
        guard bytes.count <= maxSize else { throw KRPCError(code: ErrorCode.protocol, "datagram over \(maxSize) bytes") }
        let root: BencodeValue
        do { root = try BencodeDecoder(limits: limits).decode(bytes) } catch {
            throw KRPCError(code: ErrorCode.protocol, "not bencode")
        }
        guard root.isDictionary else { throw KRPCError(code: ErrorCode.protocol, "not a dictionary") }
        guard let t = root["t"]?.bytes, !t.isEmpty, t.count <= 16 else {
            throw KRPCError(code: ErrorCode.protocol, "missing or oversized transaction ID")
        }
        var yourAddress: [UInt8]?
        if let ip = root["ip"]?.bytes, ip.count == 6 || ip.count == 18 { yourAddress = ip }
        var readOnly = false
        if let ro = root["ro"]?.integer, ro == 1 { readOnly = true }
        let version = root["v"]?.bytes
        let body: Body
        switch root["y"]?.utf8String {
        case "q":
            guard let method = root["q"]?.utf8String, method.utf8.count <= 32, let a = root["a"], a.isDictionary else {
                throw KRPCError(code: ErrorCode.protocol, "query without q or a", transactionID: t)
            }
            let arguments = try KRPCArguments(a, transactionID: t)
            body = .query(method: method, arguments: arguments)
        case "r":
            guard let r = root["r"], r.isDictionary else { throw KRPCError(code: ErrorCode.protocol, "response without r", transactionID: t) }
            let values = try KRPCArguments(r, transactionID: t)
            body = .response(values)
        case "e":
            let list = root["e"]?.list ?? []
            var code = ErrorCode.generic
            if let first = list.first, let number = first.integer { code = Int(clamping: number) }
            var message = ""
            if list.count > 1, let text = list[1].utf8String { message = text }
            body = .error(code: code, message: message)
        default:
            throw KRPCError(code: ErrorCode.protocol, "unknown message type", transactionID: t)
        }
        return KRPCMessage(transactionID: t, body: body, version: version, yourAddress: yourAddress, readOnly: readOnly)
    }

    /// The bencoded datagram.
    public var bytes: [UInt8] {
        var pairs: [(String, BencodeValue)] = [("t", .string(transactionID))]
        switch body {
        case .query(let method, let arguments):
            pairs += [("y", .string("q")), ("q", .string(method)), ("a", arguments.bencoded)]
        case .response(let values):
            pairs += [("y", .string("r")), ("r", values.bencoded)]
        case .error(let code, let message):
            pairs += [("y", .string("e")), ("e", .list([.integer(code), .string(message)]))]
        }
        if let version { pairs.append(("v", .string(version))) }
        if let yourAddress { pairs.append(("ip", .string(yourAddress))) }
        if readOnly { pairs.append(("ro", .integer(1))) }
        return (try? BencodeEncoder.encode(.dictionary(pairs))) ?? []
    }
}

/// Why a datagram was refused: the KRPC error to answer with (when `transactionID` is known).
public struct KRPCError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String
    public var transactionID: [UInt8]?

    public init(code: Int, _ message: String, transactionID: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.transactionID = transactionID
    }
}
