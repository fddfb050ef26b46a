import NERDCrypto

/// BEP 15 connection IDs that a client can neither forge nor keep using.
///
/// An ID is a keyed hash (SipHash, keyed by a random secret made at start) of the client's
/// address and port and the current one-minute window; it is accepted in its own window and
/// the next, so it lives one to two minutes as BEP 15 asks, and no state is stored per client.
struct ConnectionIDs: Sendable {
    static let windowSeconds: UInt32 = 60
    private let secret: (UInt64, UInt64)

    init() {
        let bytes = SecureRandom.bytes(count: 16)
        secret = bytes.withUnsafeBytes {
            ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
    }

    /// The ID for a client, issued at `now` (seconds on any steady clock).
    func issue(address: [UInt8], port: UInt16, now: UInt32) -> UInt64 {
        id(address: address, port: port, window: now / Self.windowSeconds)
    }

    func isValid(_ candidate: UInt64, address: [UInt8], port: UInt16, now: UInt32) -> Bool {
        let window = now / Self.windowSeconds
        return candidate == id(address: address, port: port, window: window)
            || (window > 0 && candidate == id(address: address, port: port, window: window - 1))
    }

    private func id(address: [UInt8], port: UInt16, window: UInt32) -> UInt64 {
        var hasher = Hasher()
        hasher.combine(secret.0)
        hasher.combine(secret.1)
        hasher.combine(window)
        hasher.combine(port)
        address.withUnsafeBytes { hasher.combine(bytes: $0) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }
}
