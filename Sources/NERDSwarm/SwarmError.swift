/// The error NERDSwarm throws: a stable `code` and a human `reason`.
public struct SwarmError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The torrent cannot be transferred by this version (v2-only, BEP 52 hash messages).
        public static let unsupportedTorrent = Code(rawValue: "unsupported_torrent")
        /// A file could not be created, opened, read or written.
        public static let storage = Code(rawValue: "storage_error")
        /// A listen or connect address is unusable.
        public static let invalidAddress = Code(rawValue: "invalid_address")
        /// The address is not on loopback while the loopback-only guard is on.
        public static let loopbackGuard = Code(rawValue: "loopback_guard")
        /// The torrent is already in the session.
        public static let duplicateTorrent = Code(rawValue: "duplicate_torrent")
        /// The session is not running.
        public static let notRunning = Code(rawValue: "not_running")
        /// The content on disk does not match the torrent.
        public static let dataMismatch = Code(rawValue: "data_mismatch")
        /// No peer supplied metadata (BEP 9) that matches the magnet's info-hash in time.
        public static let metadataUnavailable = Code(rawValue: "metadata_unavailable")
        /// A peer did not finish its (encrypted) handshake in time.
        public static let handshakeTimeout = Code(rawValue: "handshake_timeout")
    }

    public var code: Code
    public var reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
