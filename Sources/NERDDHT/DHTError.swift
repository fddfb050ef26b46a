/// Why a DHT operation failed. `code` is stable (`Docs/errors.md`).
public struct DHTError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let network = Code(rawValue: "network")
        /// The state file holds something else (it is left as it is, not overwritten).
        public static let invalidState = Code(rawValue: "invalid_dht_state")
        public static let loopbackGuard = Code(rawValue: "loopback_guard")
        /// A query got no reply in time.
        public static let timeout = Code(rawValue: "dht_timeout")
        /// A reply that cannot be used (no `id`).
        public static let invalidReply = Code(rawValue: "invalid_krpc_reply")
        /// The other node answered with a KRPC error.
        public static let remoteError = Code(rawValue: "krpc_error")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
