/// A peer as trackers exchange it: an IPv4 or IPv6 address and a TCP port.
///
/// Compact forms (BEP 23, BEP 7): 6 bytes (4 address + 2 port) or 18 bytes (16 + 2), all
/// big-endian.
public struct TrackerPeer: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 bytes (IPv6), network order.
    public var ip: [UInt8]
    public var port: UInt16

    public init(ip: [UInt8], port: UInt16) {
        precondition(ip.count == 4 || ip.count == 16, "an IP address is 4 or 16 bytes")
        self.ip = ip
        self.port = port
    }

    /// Parses an IPv4 or IPv6 literal. - Returns: `nil` if `host` is not one.
    public init?(host: String, port: Int) {
        guard let ip = IPAddressText.parse(host), (0...65535).contains(port) else { return nil }
        self.init(ip: ip, port: UInt16(port))
    }

    public var isIPv6: Bool { ip.count == 16 }

    /// The address as text (`1.2.3.4`, `::1`).
    public var host: String { IPAddressText.format(ip) }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The 6- or 18-byte compact form.
    public var compact: [UInt8] { ip + [UInt8(port >> 8), UInt8(port & 0xFF)] }

    /// Splits a compact peer string into peers.
    /// - Parameter addressLength: 4 (BEP 23 `peers`) or 16 (BEP 7 `peers6`).
    /// - Returns: `nil` if the length is not a whole number of entries.
    public static func parseCompact(_ bytes: some Collection<UInt8>, addressLength: Int) -> [TrackerPeer]? {
        let stride = addressLength + 2
        guard bytes.count % stride == 0 else { return nil }
        let all = Array(bytes)
        var peers: [TrackerPeer] = []
        peers.reserveCapacity(all.count / stride)
        var i = 0
        while i < all.count {
            let port = UInt16(all[i + addressLength]) << 8 | UInt16(all[i + addressLength + 1])
            peers.append(TrackerPeer(ip: Array(all[i..<i + addressLength]), port: port))
            i += stride
        }
        return peers
    }
}
