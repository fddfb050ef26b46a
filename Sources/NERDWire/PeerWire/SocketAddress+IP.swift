import NIOCore

extension SocketAddress {
    /// The IP as 4 or 16 network-order bytes (an IPv4-mapped IPv6 address as 4), or `nil` for
    /// a Unix socket. Shared by the tracker and the DHT, which key peers and nodes by it.
    package var ipBytes: [UInt8]? {
        switch self {
        case .v4(let a):
            return withUnsafeBytes(of: a.address.sin_addr) { Array($0) }
        case .v6(let a):
            let bytes = withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF { return Array(bytes[12...]) }
            return bytes
        case .unixDomainSocket:
            return nil
        }
    }

    /// Whether the address is loopback (127.0.0.0/8, ::1).
    package var isLoopbackIP: Bool {
        guard let ip = ipBytes else { return false }
        return ip.count == 4 ? ip[0] == 127 : ip == [UInt8](repeating: 0, count: 15) + [1]
    }
}
