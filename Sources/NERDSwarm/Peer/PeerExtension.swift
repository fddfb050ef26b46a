import NERDWire
import NIOCore

/// A BEP 10 extension that a higher layer plugs into the swarm by name (`ut_metadata`,
/// `ut_pex`, `nerd_pay`, ...). The session advertises every registered name in its extended
/// handshake, routes incoming messages for it here, and sends replies under the ID the
/// remote peer chose. Methods are called on the session's event loop; keep them quick.
public protocol PeerExtension: Sendable {
    /// The name in the extended handshake's `m` dictionary.
    var name: String { get }
    /// A peer's extended handshake says it speaks this extension.
    func peerConnected(_ peer: ExtensionPeer)
    /// A message for this extension arrived: the payload after the extended message ID.
    func received(_ payload: ByteBuffer, from peer: ExtensionPeer)
}

extension PeerExtension {
    public func peerConnected(_ peer: ExtensionPeer) {}
}

/// The side of a peer connection an extension sees.
public struct ExtensionPeer: Sendable {
    /// The peer's address as NERD knows it.
    public let address: PeerAddress
    /// The 20-byte wire info-hash of the torrent the connection belongs to.
    public let infoHash: [UInt8]
    private let channel: Channel
    private let remoteID: UInt8

    init(address: PeerAddress, infoHash: [UInt8], channel: Channel, remoteID: UInt8) {
        self.address = address
        self.infoHash = infoHash
        self.channel = channel
        self.remoteID = remoteID
    }

    /// Sends an extension message (BEP 10 message 20 with the peer's ID for this extension).
    public func send(_ payload: ByteBuffer) {
        channel.writeAndFlush(PeerWireFrame.message(.extended(id: remoteID, payload: payload)), promise: nil)
    }

    /// Whether the connection's send buffer has room (NIO writability): false while the peer
    /// is not reading what was already sent.
    public var isWritable: Bool { channel.isWritable }

    /// Closes the connection (the peer broke this extension's protocol).
    public func disconnect() { channel.close(promise: nil) }
}

/// Registered extensions with the local message IDs NERD advertises for them (1, 2, ...).
struct ExtensionTable: Sendable {
    private(set) var extensions: [any PeerExtension] = []

    /// Local ID → extension; IDs start at 1 (0 is the extended handshake).
    func byLocalID(_ id: UInt8) -> (any PeerExtension)? {
        let index = Int(id) - 1
        return index >= 0 && index < extensions.count ? extensions[index] : nil
    }

    /// The `m` dictionary of our extended handshake.
    var messageIDs: [String: UInt8] {
        Dictionary(uniqueKeysWithValues: extensions.enumerated().map { ($0.element.name, UInt8($0.offset + 1)) })
    }

    mutating func add(_ peerExtension: any PeerExtension) {
        guard extensions.count < 250, !extensions.contains(where: { $0.name == peerExtension.name }) else { return }
        extensions.append(peerExtension)
    }
}
