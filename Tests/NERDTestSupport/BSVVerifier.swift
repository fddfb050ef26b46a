import Foundation

/// Runs the independent BSV verifier `harness/bsv_verify.py` (bsv-sdk's interpreter plus a
/// coincurve signature check) in the venv that `scripts/test` creates.
public enum BSVVerifier {
    /// `NERD_BSV_PYTHON`, else `.build/bsv-venv/bin/python` in the package.
    public static var python: String {
        if let env = ProcessInfo.processInfo.environment["NERD_BSV_PYTHON"], !env.isEmpty { return env }
        return SharedMaterial.packageRoot.appendingPathComponent(".build/bsv-venv/bin/python").path
    }

    public static var isAvailable: Bool {
        guard SharedMaterial.isAvailable, FileManager.default.isExecutableFile(atPath: python) else { return false }
        let result = try? Subprocess.run(python, ["-c", "import bsv, coincurve"], timeout: 60)
        return result?.status == 0
    }

    public struct Verdict {
        /// The verifier's exit status: 0 when every input verifies.
        public var status: Int32
        public var inputsValid: [Bool]
        public var txid: String
        public var output: String
    }

    /// - Parameter prevouts: for each input, the spent output's locking script (hex) and amount.
    public static func verify(transactionHex: String, prevouts: [(script: String, satoshis: UInt64)]) throws -> Verdict {
        let request: [String: Any] = [
            "tx": transactionHex,
            "prevouts": prevouts.map { ["script": $0.script, "satoshis": $0.satoshis] },
        ]
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let file = try dir.write("request.json", Array(try JSONSerialization.data(withJSONObject: request)))
        let result = try Subprocess.run(python, [SharedMaterial.harness.appendingPathComponent("bsv_verify.py").path, file], timeout: 120)
        let json = JSONOutput.lastObject(in: result.stdout)
        return Verdict(status: result.status, inputsValid: json["inputs_valid"] as? [Bool] ?? [],
                       txid: json["txid"] as? String ?? "", output: result.stdout + result.stderr)
    }
}
