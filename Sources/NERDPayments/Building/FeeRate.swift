/// A mining fee rate in satoshis per 1,000 bytes of serialised transaction.
public struct FeeRate: Sendable, Hashable, Codable {
    public var satoshisPerKilobyte: UInt64

    public init(satoshisPerKilobyte: UInt64) { self.satoshisPerKilobyte = satoshisPerKilobyte }

    /// 100 sat/kB, what BSV miners and ARC accept by default (ARC's policy endpoint can say
    /// otherwise).
    public static let standard = FeeRate(satoshisPerKilobyte: 100)

    /// Highest rate `nerd` accepts: 10 satoshis per byte (ARC's own ceiling); a typo above
    /// it would hand the miner the wallet.
    public static let maximumSatoshisPerKilobyte: UInt64 = 10_000

    /// The fee for `size` bytes, rounded up to a whole satoshi (saturating at UInt64.max).
    public func fee(forSize size: Int) -> UInt64 {
        let (product, overflow) = UInt64(max(size, 0)).multipliedReportingOverflow(by: satoshisPerKilobyte)
        return overflow ? .max : product / 1000 + (product % 1000 == 0 ? 0 : 1)
    }
}

/// Output amount rules: a spendable output must carry at least `minimumOutput` satoshis;
/// an `OP_FALSE OP_RETURN` data output may carry 0.
public enum Dust {
    /// 1 satoshi: BSV's dust limit since 2024.
    public static let minimumOutput: UInt64 = 1

    /// Whether an output meets the dust rule.
    public static func isAllowed(_ output: TransactionOutput) -> Bool {
        output.lockingScript.isData ? true : output.satoshis >= minimumOutput
    }
}
