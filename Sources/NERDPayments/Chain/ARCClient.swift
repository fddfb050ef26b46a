import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where ARC is and how to authenticate: from a JSON file (`arc_url`, `arc_api_key`) or the
/// environment (`NERD_ARC_URL`, `NERD_ARC_API_KEY`, which win).
public struct ARCConfiguration: Sendable, Hashable {
    /// Base URL, e.g. `https://arc.taal.com` (requests go to `<url>/v1/...`).
    public var url: URL
    /// Sent as `Authorization: Bearer <key>` when present.
    public var apiKey: String?

    public init(url: URL, apiKey: String? = nil) {
        self.url = url
        self.apiKey = apiKey
    }

    /// Reads `file` if it exists, then lets the environment override it.
    ///
    /// - Returns: nil when neither names a URL.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> ARCConfiguration? {
        var urlText: String?
        var key: String?
        if let file, let data = FileManager.default.contents(atPath: file),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            urlText = json["arc_url"] as? String
            key = json["arc_api_key"] as? String
        }
        if let env = environment["NERD_ARC_URL"], !env.isEmpty { urlText = env }
        if let env = environment["NERD_ARC_API_KEY"], !env.isEmpty { key = env }
        guard let urlText, let url = URL(string: urlText), url.scheme == "http" || url.scheme == "https" else { return nil }
        return ARCConfiguration(url: url, apiKey: key)
    }
}

/// A `Broadcaster` for ARC, the BSV miners' transaction API: `POST /v1/tx` with
/// `{"rawTx": hex}` and `GET /v1/tx/{txid}`, JSON responses carrying `txid`, `txStatus`,
/// `blockHeight` and, on errors, `title` / `detail` / `extraInfo`.
///
/// Uses Foundation's URLSession (libcurl on Linux), so HTTPS needs no extra package.
public struct ARCClient: Broadcaster {
    public let configuration: ARCConfiguration
    /// Seconds before a request is abandoned (the outcome is then unknown).
    public var timeout: TimeInterval
    /// Refuse any host but loopback (tests and CI; `NERD_LOOPBACK_ONLY=1` sets it).
    public var loopbackOnly: Bool

    public init(configuration: ARCConfiguration, timeout: TimeInterval = 30,
                loopbackOnly: Bool = ProcessInfo.processInfo.environment["NERD_LOOPBACK_ONLY"] == "1") {
        self.configuration = configuration
        self.timeout = timeout
        self.loopbackOnly = loopbackOnly
    }

    /// Statuses after which a transaction will not be mined. ARC's DOUBLE_SPEND_ATTEMPTED and
    /// MINED_IN_STALE_BLOCK are not final (the transaction may still be mined), so they stay
    /// unconfirmed.
    static let rejectedStatuses: Set<String> = ["REJECTED"]
    /// Largest response read (ARC's are a few hundred bytes).
    static let maxResponseBytes = 1 << 20

    public func broadcast(_ transaction: Transaction) async throws -> BroadcastResult {
        let body = try JSONSerialization.data(withJSONObject: ["rawTx": transaction.hex])
        let (status, json) = try await request("POST", path: "v1/tx", body: body)
        let txStatus = json["txStatus"] as? String ?? ""
        guard (200..<300).contains(status), !Self.rejectedStatuses.contains(txStatus) else {
            let reason = [json["title"], json["detail"], json["extraInfo"], txStatus.isEmpty ? nil : txStatus]
                .compactMap { $0 as? String }.filter { !$0.isEmpty }.joined(separator: ": ")
            if status >= 500 { throw BroadcastError.unavailable("ARC answered \(status) \(reason)") }
            if (300..<400).contains(status) {
                // Never reached ARC's transaction processing; the coins are released.
                throw BroadcastError.rejected("ARC answered \(status), a redirect, which is not followed (it could carry the API key elsewhere): check arc_url")
            }
            throw BroadcastError.rejected(reason.isEmpty ? "HTTP \(status)" : reason)
        }
        return BroadcastResult(txid: transaction.txid, status: Self.status(json))
    }

    public func status(of txid: TxID) async throws -> TransactionStatus? {
        let (status, json) = try await request("GET", path: "v1/tx/\(txid.hex)", body: nil)
        if status == 404 { return nil }
        guard (200..<300).contains(status) else { throw BroadcastError.unavailable("ARC answered \(status)") }
        return Self.status(json)
    }

    /// The miners' fee rate from `GET /v1/policy` (`policy.miningFee` = satoshis per bytes),
    /// rounded up to satoshis per 1,000 bytes.
    ///
    /// - Throws: `BroadcastError.unavailable` when ARC cannot be reached or the answer has no
    ///   usable fee.
    public func feeRate() async throws -> FeeRate {
        let (status, json) = try await request("GET", path: "v1/policy", body: nil)
        guard (200..<300).contains(status), let policy = json["policy"] as? [String: Any],
              let fee = policy["miningFee"] as? [String: Any],
              let satoshis = (fee["satoshis"] as? NSNumber)?.doubleValue, let bytes = (fee["bytes"] as? NSNumber)?.doubleValue,
              bytes > 0, satoshis >= 0, satoshis / bytes <= 10 else {
            throw BroadcastError.unavailable("ARC policy without a usable miningFee")
        }
        return FeeRate(satoshisPerKilobyte: UInt64((satoshis * 1000 / bytes).rounded(.up)))
    }

    static func status(_ json: [String: Any]) -> TransactionStatus {
        let txStatus = json["txStatus"] as? String ?? "UNKNOWN"
        if rejectedStatuses.contains(txStatus) { return .rejected(reason: txStatus) }
        if txStatus == "MINED" || txStatus == "IMMUTABLE", let height = (json["blockHeight"] as? NSNumber)?.uint32Value {
            return .mined(height: height)
        }
        return .unconfirmed(detail: txStatus)
    }

    /// A session that never follows redirects: a redirect could carry the API key to another
    /// host, or leave loopback under the loopback-only guard.
    private static let session = URLSession(configuration: .ephemeral, delegate: RedirectRefuser(), delegateQueue: nil)

    private final class RedirectRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    private func request(_ method: String, path: String, body: Data?) async throws -> (Int, [String: Any]) {
        let url = configuration.url.appendingPathComponent(path)
        if loopbackOnly, let host = url.host, !["127.0.0.1", "localhost", "::1"].contains(host) {
            throw BroadcastError.unavailable("loopback-only: refusing \(host)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        if let key = configuration.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        request.httpBody = body
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await Self.session.data(for: request)
        } catch {
            throw BroadcastError.unavailable("\(url.host ?? "ARC"): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else { throw BroadcastError.unavailable("not an HTTP response") }
        guard data.count <= Self.maxResponseBytes else { throw BroadcastError.unavailable("response larger than 1 MiB") }
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (http.statusCode, json)
    }
}
