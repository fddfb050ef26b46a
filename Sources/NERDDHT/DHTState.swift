import Foundation
import NERDWire

/// The part of a DHT node kept between runs: its ID and the nodes of its routing table, as
/// a small bencoded file (`id`: 20 bytes, `nodes` and `nodes6`: compact node infos).
struct DHTState {
    var id: NodeID
    var nodes: [DHTNodeInfo]

    static func load(_ path: String) -> DHTState? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20,
              let root = try? BencodeDecoder(limits: .message).decode(Array(data)),
              let idBytes = root["id"]?.bytes, let id = NodeID(idBytes)
        else { return nil }
        var nodes: [DHTNodeInfo] = []
        if let raw = root["nodes"]?.bytes, let parsed = DHTNodeInfo.parseCompact(raw, stride: 26) { nodes += parsed }
        if let raw = root["nodes6"]?.bytes, let parsed = DHTNodeInfo.parseCompact(raw, stride: 38) { nodes += parsed }
        return DHTState(id: id, nodes: Array(nodes.prefix(2000)))
    }

    /// Writes atomically (temporary file, then rename), so a crash leaves the old state whole.
    /// - Returns: the reason it could not be written, else nil.
    @discardableResult
    func save(to path: String) -> String? {
        let value = BencodeValue.dictionary([
            ("id", .string(id.bytes)), ("nodes", .string(nodes.filter { $0.ip.count == 4 }.flatMap(\.compact))),
            ("nodes6", .string(nodes.filter { $0.ip.count == 16 }.flatMap(\.compact))),
        ])
        do {
            try Data(try BencodeEncoder.encode(value)).write(to: URL(fileURLWithPath: path), options: .atomic)
            return nil
        } catch {
            return (error as NSError).localizedDescription
        }
    }
}
