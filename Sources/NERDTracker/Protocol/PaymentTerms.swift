/// What a NERD seeder charges and how well it serves, as it announces them to a tracker.
///
/// A NERD extension that standard clients never send or see; the wire keys are specified in
/// `Docs/tracker-nerd-extension.md`.
public struct PaymentTerms: Sendable, Hashable {
    /// Limits on what a tracker stores for one peer.
    public static let maxCurrencies = 8
    public static let maxCurrencyLength = 16

    /// The payee's compressed secp256k1 public key (33 bytes, 0x02 or 0x03 first).
    public var payee: [UInt8]
    /// Price in millisatoshis per MiB (2^20 bytes) of payload.
    public var priceMillisatoshisPerMiB: UInt64
    /// Currencies accepted, e.g. `["BSV", "NERD"]`; upper-case ASCII letters and digits.
    public var currencies: [String]
    /// Recent upload rate in bytes per second (a quality signal, self-reported).
    public var uploadRate: UInt64?
    /// Seconds the peer has been serving (a quality signal, self-reported).
    public var uptime: UInt64?

    /// - Throws: ``TrackerError`` `.invalidRequest` if a field is out of its limits (the
    ///   numbers at most 2^63 − 1), naming the field by its wire key.
    public init(payee: [UInt8], priceMillisatoshisPerMiB: UInt64, currencies: [String] = ["BSV"],
                uploadRate: UInt64? = nil, uptime: UInt64? = nil) throws(TrackerError) {
        guard payee.count == 33, payee[0] == 2 || payee[0] == 3 else {
            throw TrackerError(.invalidRequest, "payee must be a 33-byte compressed public key")
        }
        guard !currencies.isEmpty, currencies.count <= Self.maxCurrencies,
              currencies.allSatisfy({ Self.isCurrencyCode($0) })
        else {
            throw TrackerError(.invalidRequest, "currencies must be 1-\(Self.maxCurrencies) codes of A-Z and 0-9")
        }
        // Bencode integers are signed 64-bit in every implementation: larger values would be
        // changed on the way to downloaders.
        for (name, value) in [("price", priceMillisatoshisPerMiB), ("up", uploadRate ?? 0), ("uptime", uptime ?? 0)]
        where value > UInt64(Int64.max) {
            throw TrackerError(.invalidRequest, "\(name) must be at most \(Int64.max)")
        }
        self.payee = payee
        self.priceMillisatoshisPerMiB = priceMillisatoshisPerMiB
        self.currencies = currencies
        self.uploadRate = uploadRate
        self.uptime = uptime
    }

    static func isCurrencyCode(_ code: String) -> Bool {
        !code.isEmpty && code.utf8.count <= maxCurrencyLength
            && code.utf8.allSatisfy { (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) }
    }
}
