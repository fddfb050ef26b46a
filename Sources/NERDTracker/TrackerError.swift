/// Why a tracker request, reply or server operation failed.
///
/// `code` is stable (listed in `Docs/errors.md`); `message` is for people.
public struct TrackerError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// An announce or scrape request is malformed (missing key, bad value, too long).
        public static let invalidRequest = Code(rawValue: "invalid_request")
        /// A tracker's reply is malformed or over its size limit.
        public static let invalidResponse = Code(rawValue: "invalid_response")
        /// The tracker answered with a `failure reason` (HTTP) or an error packet (UDP).
        public static let trackerFailure = Code(rawValue: "tracker_failure")
        /// No reply in time (after BEP 15 retransmissions for UDP).
        public static let timeout = Code(rawValue: "tracker_timeout")
        /// The tracker URL is not one this client speaks (`http://`, `udp://`).
        public static let unsupportedURL = Code(rawValue: "unsupported_tracker_url")
        /// The address is off loopback and the loopback-only guard is on.
        public static let loopbackGuard = Code(rawValue: "loopback_guard")
        /// Connecting, sending or binding failed.
        public static let network = Code(rawValue: "network")
        /// The server is at a configured limit (torrents or peers).
        public static let full = Code(rawValue: "tracker_full")
        /// The info-hash is not in the server's allow-list.
        public static let notAllowed = Code(rawValue: "torrent_not_allowed")
        /// A server setting is unusable (a trusted proxy that is not an IP address).
        public static let invalidConfiguration = Code(rawValue: "invalid_configuration")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
