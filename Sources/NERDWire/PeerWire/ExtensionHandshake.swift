import NIOCore

/// The BEP 10 extended handshake (extended message 0): which extensions a peer speaks and
/// under which message IDs, plus client facts.
public struct ExtensionHandshake: Sendable, Equatable {
    /// Extension name → the ID the sender wants to receive it under (0 = disabled).
    public var messageIDs: [String: UInt8]
    /// `v`: client name and version.
    public var client: String?
    /// `p`: the sender's TCP listen port.
    public var listenPort: UInt16?
    /// `reqq`: how many outstanding requests the sender queues.
    public var requestQueueLength: Int?
    /// `yourip`: the receiver's address as the sender sees it (4 or 16 bytes).
    public var yourIP: [UInt8]?
    /// `metadata_size` (BEP 9): size of the info dictionary in bytes.
    public var metadataSize: Int?

    public init(messageIDs: [String: UInt8] = [:], client: String? = nil, listenPort: UInt16? = nil,
                requestQueueLength: Int? = nil, yourIP: [UInt8]? = nil, metadataSize: Int? = nil) {
        self.messageIDs = messageIDs
        self.client = client
        self.listenPort = listenPort
        self.requestQueueLength = requestQueueLength
        self.yourIP = yourIP
        self.metadataSize = metadataSize
    }

    /// Parses the payload of extended message 0. Unknown keys are ignored; wrongly typed
    /// known keys are ignored as BEP 10 asks.
    /// - Throws: ``WireError`` (bencode codes) if the payload is not a bencoded dictionary.
    public init(payload: [UInt8]) throws(WireError) {
        let value = try BencodeDecoder(limits: .message).decode(payload)
        guard value.isDictionary else { throw WireError(.invalidMessage, "extended handshake is not a dictionary") }
        var ids: [String: UInt8] = [:]
        for entry in value["m"]?.entries ?? [] {
            guard let name = String(validating: entry.key, as: UTF8.self), let id = entry.value.integer,
                (0...255).contains(id) else { continue }
            ids[name] = UInt8(id)
        }
        messageIDs = ids
        client = value["v"]?.utf8String
        listenPort = Self.integer(value["p"], in: 1...65535).map { UInt16($0) }
        requestQueueLength = Self.integer(value["reqq"], in: 1...100_000).map { Int($0) }
        metadataSize = Self.integer(value["metadata_size"], in: 1...(64 << 20)).map { Int($0) }
        if let ip = value["yourip"]?.bytes, ip.count == 4 || ip.count == 16 { yourIP = ip } else { yourIP = nil }
    }

    /// An integer value inside `range`, else `nil` (wrong types are ignored, as BEP 10 asks).
    private static func integer(_ value: BencodeValue?, in range: ClosedRange<Int64>) -> Int64? {
        guard let value, case .integer(let n) = value.content, range.contains(n) else { return nil }
        return n
    }

    /// The bencoded payload.
    public var payload: [UInt8] {
        var pairs: [(String, BencodeValue)] = [("m", .dictionary(messageIDs.map { ($0.key, .integer(Int($0.value))) }))]
        if let client { pairs.append(("v", .string(client))) }
        if let listenPort { pairs.append(("p", .integer(Int(listenPort)))) }
        if let requestQueueLength { pairs.append(("reqq", .integer(requestQueueLength))) }
        if let yourIP { pairs.append(("yourip", .string(yourIP))) }
        if let metadataSize { pairs.append(("metadata_size", .integer(metadataSize))) }
        // Keys are distinct by construction, so encoding cannot fail.
        return (try? BencodeEncoder.encode(.dictionary(pairs))) ?? []
    }
}
