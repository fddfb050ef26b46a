/// Just enough of an HTTP/1.x response to know when it is complete and whether it is a tracker's
/// 200 with a bencoded dictionary.
struct HTTPResponse {
    /// Bytes up to and including the blank line.
    var headerLength: Int
    var contentLength: Int?
    var statusOK: Bool
    /// Whether the server keeps the connection open after this response.
    var keepsAlive: Bool

    /// Parses the head once it is all in `bytes`; `nil` while it is not.
    static func parseHead(_ bytes: [UInt8]) -> HTTPResponse? {
        guard let end = headEnd(bytes) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let status = lines.first else { return nil }
        let http11 = status.hasPrefix("HTTP/1.1 ")
        var response = HTTPResponse(
            headerLength: end, contentLength: nil,
            statusOK: status.hasPrefix("HTTP/1.1 200") || status.hasPrefix("HTTP/1.0 200"), keepsAlive: http11)
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces().lowercased()
            if name == "content-length" {
                response.contentLength = Int(value)
            } else if name == "connection" {
                if value == "close" { response.keepsAlive = false }
                if value == "keep-alive" { response.keepsAlive = true }
            }
        }
        // Without a length the body ends when the server closes.
        if response.contentLength == nil { response.keepsAlive = false }
        return response
    }

    /// Whether `bytes` hold the whole response (without a Content-Length: only at end of stream).
    func isComplete(_ bytes: [UInt8], atEnd: Bool) -> Bool {
        guard let contentLength else { return atEnd }
        return bytes.count >= headerLength + contentLength
    }

    /// A 200 whose body is a bencoded dictionary other than a `failure reason` (which a tracker
    /// also sends as a 200, e.g. for a torrent off its whitelist).
    func isAnnounceReply(_ bytes: [UInt8]) -> Bool {
        guard statusOK, bytes.count > headerLength, bytes[headerLength] == UInt8(ascii: "d") else { return false }
        return !bytes[(headerLength + 1)...].starts(with: Self.failureKey)
    }

    private static let failureKey = Array("14:failure reason".utf8)

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 3..<bytes.count
        where bytes[index] == 10 && bytes[index - 1] == 13 && bytes[index - 2] == 10 && bytes[index - 3] == 13 {
            return index + 1
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
