#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NERDWire
import NIOCore

/// A UDP address of a DHT node or a TCP address of a peer: IP bytes (4 or 16) and port.
public struct DHTAddress: Sendable, Hashable, CustomStringConvertible {
    public var ip: [UInt8]
    public var port: UInt16

    public init(ip: [UInt8], port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPv6]:PORT` with an IP literal (`localhost` is 127.0.0.1).
    public init?(_ text: String) {
        var host: Substring
        let portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            guard text[text.index(after: close)...].hasPrefix(":") else { return nil }
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = UInt16(portText), let address = try? SocketAddress(ipAddress: String(host), port: Int(port)),
              let ip = address.ipBytes
        else { return nil }
        self.init(ip: ip, port: port)
    }

    init?(_ address: SocketAddress) {
        guard let ip = address.ipBytes, let port = address.port else { return nil }
        self.init(ip: ip, port: UInt16(truncatingIfNeeded: port))
    }

    /// Compact form: 6 or 18 bytes.
    public var compact: [UInt8] { ip + [UInt8(port >> 8), UInt8(port & 0xFF)] }

    public init?(compact: [UInt8]) {
        guard compact.count == 6 || compact.count == 18 else { return nil }
        self.init(ip: Array(compact.dropLast(2)), port: UInt16(compact[compact.count - 2]) << 8 | UInt16(compact[compact.count - 1]))
    }

    /// Whether a datagram or connection can be sent here at all: a port, and an address that
    /// is not unspecified or "this network" (0.0.0.0/8, ::), multicast, broadcast or reserved
    /// (240.0.0.0/4). A node
    /// list or peer list from another node may name anything; sending to such an address fails
    /// in the kernel (EINVAL, EACCES), which would close the DHT's socket.
    public var isUsableDestination: Bool {
        guard port != 0, ip.contains(where: { $0 != 0 }) else { return false }
        if ip.count == 4 { return ip[0] != 0 && ip[0] < 224 }
        return ip.count == 16 && ip[0] != 0xFF
    }

    public var isLoopback: Bool { ip.count == 4 ? ip[0] == 127 : ip == [UInt8](repeating: 0, count: 15) + [1] }

    /// The IP as text; IPv6 in its short form (RFC 5952: `::1`, not `0:0:0:0:0:0:0:1`).
    public var host: String {
        if ip.count == 4 { return ip.map(String.init).joined(separator: ".") }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = ip.withUnsafeBytes { bytes in inet_ntop(AF_INET6, bytes.baseAddress, &text, socklen_t(text.count)) }
        guard written != nil else {
            return stride(from: 0, to: 16, by: 2).map { String(UInt16(ip[$0]) << 8 | UInt16(ip[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        }
        return String(cString: text)
    }

    public var description: String { ip.count == 4 ? "\(host):\(port)" : "[\(host)]:\(port)" }

    func socketAddress() throws -> SocketAddress { try SocketAddress(ipAddress: host, port: Int(port)) }
}
