#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A peer's TCP address: host (IPv4 or IPv6 literal, or a name) and port.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT`. - Returns: `nil` if malformed.
    public init?(_ text: String) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
        if host == "localhost" { host = "127.0.0.1" }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Whether the host is a loopback address literal (127.0.0.0/8 or ::1). Host names are
    /// never loopback here: resolving them could lead anywhere.
    public var isLoopback: Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return UInt32(bigEndian: v4.s_addr) >> 24 == 127 }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            return withUnsafeBytes(of: v6) { Array($0) } == [UInt8](repeating: 0, count: 15) + [1]
        }
        return false
    }
}

/// Something that finds peers for a torrent: static addresses, a tracker, the DHT, PEX.
/// NERDSwarm only consumes it; the implementations live in the layers that speak those
/// protocols, joined in NERDNode.
public protocol PeerSource: Sendable {
    /// Peers for the torrent with this 20-byte wire info-hash, as they are found.
    func peers(infoHash: [UInt8]) -> AsyncStream<PeerAddress>
}

/// A fixed list of peers (`--peer HOST:PORT`).
public struct StaticPeerSource: PeerSource {
    public var addresses: [PeerAddress]
    public init(_ addresses: [PeerAddress]) { self.addresses = addresses }

    public func peers(infoHash: [UInt8]) -> AsyncStream<PeerAddress> {
        AsyncStream { continuation in
            for address in addresses { continuation.yield(address) }
            continuation.finish()
        }
    }
}
