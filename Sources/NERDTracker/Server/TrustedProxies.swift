/// The reverse proxies whose `X-Forwarded-For` a tracker believes: single addresses and CIDR
/// ranges (a load balancer's subnet, the pods of an ingress), IPv4 and IPv6.
struct TrustedProxies {
    private var exact: Set<[UInt8]> = []
    /// Network bytes (host bits cleared) and prefix length in bits.
    private var ranges: [(network: [UInt8], prefix: Int)] = []

    /// - Parameter entries: `IP` or `IP/PREFIX` (`10.0.0.0/8`, `2001:db8::/32`); host bits
    ///   under the prefix are ignored, as nginx's `set_real_ip_from` does.
    /// - Returns: the proxies, or `.invalidConfiguration` naming the first entry that is neither.
    static func parse(_ entries: [String]) -> Result<TrustedProxies, TrackerError> {
        var proxies = TrustedProxies()
        for entry in entries {
            guard let (address, prefix) = parseEntry(entry) else {
                return .failure(TrackerError(.invalidConfiguration,
                                             "trusted proxy \"\(entry)\" is not an IP address or a CIDR range"))
            }
            if prefix == address.count * 8 {
                proxies.exact.insert(address)
            } else {
                proxies.ranges.append((masked(address, prefix), prefix))
            }
        }
        return .success(proxies)
    }

    var isEmpty: Bool { exact.isEmpty && ranges.isEmpty }

    /// Whether `address` (4 or 16 bytes) is a trusted proxy.
    func contains(_ address: [UInt8]) -> Bool {
        if exact.contains(address) { return true }
        return ranges.contains { $0.network.count == address.count && Self.masked(address, $0.prefix) == $0.network }
    }

    private static func parseEntry(_ entry: String) -> (address: [UInt8], prefix: Int)? {
        let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddressText.parse(String(parts[0])) else { return nil }
        guard parts.count == 2 else { return (address, address.count * 8) }
        guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0 >= "0" && $0 <= "9" }), let written = Int(parts[1])
        else { return nil }
        // An IPv4-mapped range written in IPv6 form (`::ffff:10.0.0.0/104`) parses to 4 bytes.
        let prefix = address.count == 4 && parts[0].contains(":") ? written - 96 : written
        guard (0...address.count * 8).contains(prefix) else { return nil }
        return (address, prefix)
    }

    private static func masked(_ address: [UInt8], _ prefix: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let bits = min(max(prefix - index * 8, 0), 8)
            return bits == 8 ? byte : byte & ~(0xFF >> bits)
        }
    }
}
