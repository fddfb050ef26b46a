import Glibc

/// What a run measured, printed as human lines and, with `--json`, one final JSON line.
struct LoadSummary {
    var mode: LoadOptions.Mode
    var target: String
    var variant: String
    /// Announces answered with a valid reply.
    var announces = 0
    /// Successful BEP 15 connects (UDP) or TCP connections opened (HTTP).
    var connects = 0
    var seconds = 0.0
    var latency = LatencyHistogram()
    var timeouts = 0
    var errors = 0
    /// Replies that came after their request had timed out (UDP).
    var late = 0
    /// Connections the server closed although keep-alive was asked (HTTP).
    var serverCloses = 0
    /// Whether connect and announce alternate (UDP without connection-ID reuse).
    var pairs = false

    var announcesPerSecond: Double { seconds > 0 ? Double(announces) / seconds : 0 }

    func report(json: Bool) {
        let p = [0.5, 0.9, 0.99].map { latency.percentile($0) }
        func ms(_ value: Double?) -> String { value.map { fixed($0, 3) } ?? "-" }
        var line = "\(mode.rawValue) \(target) \(variant): \(announces) announces in \(fixed(seconds, 2)) s = "
        line += "\(fixed(announcesPerSecond, 0))/s"
        if pairs { line += " (connect+announce pairs)" }
        line += "; latency ms p50 \(ms(p[0])) p90 \(ms(p[1])) p99 \(ms(p[2]))"
        line += "; \(connects) connects, \(timeouts) timeouts, \(errors) errors"
        if late > 0 { line += ", \(late) late replies" }
        if mode == .http { line += ", \(serverCloses) server closes" }
        writeOut(line + "\n")
        if json {
            func number(_ value: Double?) -> String { value.map { fixed($0, 4) } ?? "null" }
            let percentiles = "{\"p50\": \(number(p[0])), \"p90\": \(number(p[1])), \"p99\": \(number(p[2]))}"
            var fields = [
                "\"mode\": \"\(mode.rawValue)\"", "\"variant\": \"\(variant)\"", "\"requests\": \(announces)",
                "\"seconds\": \(fixed(seconds, 4))", "\"announces_per_second\": \(fixed(announcesPerSecond, 1))",
            ]
            if mode == .udp { fields.append("\"pairs_per_second\": \(pairs ? fixed(announcesPerSecond, 1) : "null")") }
            fields += [
                "\"latency_ms\": \(percentiles)", "\"timeouts\": \(timeouts)", "\"errors\": \(errors)",
                "\"connects\": \(connects)", "\"late\": \(late)",
            ]
            if mode == .http { fields.append("\"server_closes\": \(serverCloses)") }
            writeOut("{" + fields.joined(separator: ", ") + "}\n")
        }
    }
}

/// `value` with `digits` decimals (no Foundation formatter needed).
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let digitsText = String(fraction)
        text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
    }
    return text
}
