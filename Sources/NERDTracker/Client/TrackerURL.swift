/// An announce URL this client can use: `http://HOST[:PORT]/PATH[?QUERY]` or
/// `udp://HOST:PORT[/...]`. `https://` and other schemes are refused (no TLS here).
public struct TrackerURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable { case http, udp }

    public var scheme: Scheme
    /// Host name or IP literal (IPv6 without brackets).
    public var host: String
    public var port: Int
    /// Path and any query the URL carries (HTTP only), e.g. `/announce?passkey=x`.
    public var pathAndQuery: String
    public let description: String

    /// - Throws: ``TrackerError`` `.unsupportedURL` for other schemes or a malformed URL.
    public init(_ text: String) throws(TrackerError) {
        description = text
        guard let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://") else {
            throw TrackerError(.unsupportedURL, "not a URL: \(text)")
        }
        guard let scheme = Scheme(rawValue: text[..<colon].lowercased()) else {
            throw TrackerError(.unsupportedURL, "unsupported tracker scheme in \(text)")
        }
        self.scheme = scheme
        let rest = text[text.index(colon, offsetBy: 3)...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if path.isEmpty || path.first == "?" { path = "/" + path }
        pathAndQuery = path
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        guard !host.isEmpty, host.utf8.count <= 253 else { throw TrackerError(.unsupportedURL, "no host in \(text)") }
        self.host = host == "localhost" ? "127.0.0.1" : String(host)
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw TrackerError(.unsupportedURL, "bad port in \(text)")
            }
            self.port = port
        } else {
            guard scheme == .http else { throw TrackerError(.unsupportedURL, "udp tracker URL without a port: \(text)") }
            port = 80
        }
    }

    /// Whether the host is a loopback IP literal. Names are never loopback here.
    public var isLoopback: Bool {
        guard let ip = IPAddressText.parse(host) else { return false }
        return ip.count == 4 ? ip[0] == 127 : ip == [UInt8](repeating: 0, count: 15) + [1]
    }
}
