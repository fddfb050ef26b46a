import NERDWire

/// The fields of a KRPC query's `a` or a response's `r` dictionary (BEP 5, 32, 33, 51),
/// typed. Unknown keys are ignored; a known key of the wrong type or size is a protocol error.
public struct KRPCArguments: Sendable, Equatable {
    public var id: NodeID?
    public var target: NodeID?
    public var infoHash: NodeID?
    public var port: UInt16?
    public var impliedPort = false
    /// Write token (`get_peers` reply, `announce_peer` query), at most 64 bytes.
    public var token: [UInt8]?
    /// `want` (BEP 32): `n4`, `n6`.
    public var want: [String]?
    /// Compact node infos: 26 bytes (IPv4) or 38 bytes (IPv6) each.
    public var nodes: [DHTNodeInfo] = []
    public var nodes6: [DHTNodeInfo] = []
    /// Compact peers (6 or 18 bytes each) from `values`.
    public var values: [[UInt8]] = []
    /// BEP 51 `sample_infohashes` reply.
    public var samples: [NodeID] = []
    public var interval: Int?
    public var num: Int?
    /// NERD extension: payment terms (`Docs/dht-nerd-extension.md`).
    public var nerd: BencodeValue?

    public init(id: NodeID? = nil) { self.id = id }

    init(_ dictionary: BencodeValue, transactionID: [UInt8]) throws(KRPCError) {
        func bytes(_ key: String, count: Int? = nil, max: Int = 64) throws(KRPCError) -> [UInt8]? {
            guard let value = dictionary[key] else { return nil }
            guard let b = value.bytes, count.map({ b.count == $0 }) ?? (b.count <= max) else {
                throw KRPCError(code: KRPCMessage.ErrorCode.protocol, "\(key) malformed", transactionID: transactionID)
            }
            return b
        }
        func integer(_ key: String, in range: ClosedRange<Int64>) throws(KRPCError) -> Int64? {
            guard let value = dictionary[key] else { return nil }
            guard let n = value.integer, range.contains(n) else {
                throw KRPCError(code: KRPCMessage.ErrorCode.protocol, "\(key) malformed", transactionID: transactionID)
            }
            return n
        }
        func nodeList(_ key: String, stride: Int) throws(KRPCError) -> [DHTNodeInfo] {
            guard let raw = try bytes(key, max: 8 * 38 * 8) else { return [] }
            guard let parsed = DHTNodeInfo.parseCompact(raw, stride: stride) else {
                throw KRPCError(code: KRPCMessage.ErrorCode.protocol, "\(key) is not whole node entries", transactionID: transactionID)
            }
            return parsed
        }
        id = try bytes("id", count: 20).map { NodeID(unchecked: $0) }
        target = try bytes("target", count: 20).map { NodeID(unchecked: $0) }
        infoHash = try bytes("info_hash", count: 20).map { NodeID(unchecked: $0) }
        port = try integer("port", in: 0...65535).map { UInt16($0) }
        impliedPort = try integer("implied_port", in: Int64.min...Int64.max).map { $0 != 0 } ?? false
        token = try bytes("token", max: 64)
        if let list = dictionary["want"]?.list { want = list.prefix(4).compactMap(\.utf8String) }
        nodes = try nodeList("nodes", stride: 26)
        nodes6 = try nodeList("nodes6", stride: 38)
        if let list = dictionary["values"]?.list {
            values = list.prefix(200).compactMap { $0.bytes }.filter { $0.count == 6 || $0.count == 18 }
        }
        if let raw = try bytes("samples", max: 20 * 200) {
            guard raw.count % 20 == 0 else {
                throw KRPCError(code: KRPCMessage.ErrorCode.protocol, "samples malformed", transactionID: transactionID)
            }
            samples = stride(from: 0, to: raw.count, by: 20).map { NodeID(unchecked: Array(raw[$0..<$0 + 20])) }
        }
        interval = try integer("interval", in: 0...86400).map { Int($0) }
        num = try integer("num", in: 0...Int64(Int32.max)).map { Int($0) }
        if let value = dictionary["nerd"], value.isDictionary { nerd = value }
    }

    var bencoded: BencodeValue {
        var pairs: [(String, BencodeValue)] = []
        if let id { pairs.append(("id", .string(id.bytes))) }
        if let target { pairs.append(("target", .string(target.bytes))) }
        if let infoHash { pairs.append(("info_hash", .string(infoHash.bytes))) }
        if let port { pairs.append(("port", .integer(Int(port)))) }
        if impliedPort { pairs.append(("implied_port", .integer(1))) }
        if let token { pairs.append(("token", .string(token))) }
        if let want { pairs.append(("want", .list(want.map { .string($0) }))) }
        if !nodes.isEmpty { pairs.append(("nodes", .string(nodes.flatMap(\.compact)))) }
        if !nodes6.isEmpty { pairs.append(("nodes6", .string(nodes6.flatMap(\.compact)))) }
        if !values.isEmpty { pairs.append(("values", .list(values.map { .string($0) }))) }
        if !samples.isEmpty { pairs.append(("samples", .string(samples.flatMap(\.bytes)))) }
        if let interval { pairs.append(("interval", .integer(interval))) }
        if let num { pairs.append(("num", .integer(num))) }
        if let nerd { pairs.append(("nerd", nerd)) }
        return .dictionary(pairs)
    }
}

/// A DHT node's ID and UDP address, as in compact node info (BEP 5: 20-byte ID, then 6 or
/// 18 bytes of address and port).
public struct DHTNodeInfo: Sendable, Hashable, CustomStringConvertible {
    public var id: NodeID
    /// 4 or 16 bytes.
    public var ip: [UInt8]
    public var port: UInt16

    public init(id: NodeID, ip: [UInt8], port: UInt16) {
        self.id = id
        self.ip = ip
        self.port = port
    }

    public var compact: [UInt8] { id.bytes + ip + [UInt8(port >> 8), UInt8(port & 0xFF)] }
    public var description: String { "\(id.hex.prefix(8))@\(DHTAddress(ip: ip, port: port))" }
    public var address: DHTAddress { DHTAddress(ip: ip, port: port) }

    static func parseCompact(_ bytes: [UInt8], stride: Int) -> [DHTNodeInfo]? {
        guard bytes.count % stride == 0 else { return nil }
        let ipLength = stride - 22
        return Swift.stride(from: 0, to: bytes.count, by: stride).map { i in
            let ip = Array(bytes[i + 20..<i + 20 + ipLength])
            let port = UInt16(bytes[i + 20 + ipLength]) << 8 | UInt16(bytes[i + 21 + ipLength])
            return DHTNodeInfo(id: NodeID(unchecked: Array(bytes[i..<i + 20])), ip: ip, port: port)
        }
    }
}
