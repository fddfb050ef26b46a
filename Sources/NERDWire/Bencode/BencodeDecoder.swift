/// Limits that bound what a bencode decoder will accept (bytes, nesting levels, values).
public struct BencodeLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes.
    public var maxInputSize: Int
    /// Deepest nesting of lists and dictionaries.
    public var maxDepth: Int
    /// Longest single byte string, in bytes.
    public var maxStringLength: Int
    /// Most values (of any kind) in one document.
    public var maxElementCount: Int

    public init(maxInputSize: Int, maxDepth: Int, maxStringLength: Int, maxElementCount: Int) {
        self.maxInputSize = maxInputSize
        self.maxDepth = maxDepth
        self.maxStringLength = maxStringLength
        self.maxElementCount = maxElementCount
    }

    /// Defaults sized for .torrent files: 64 MiB input, depth 100 (libtorrent's limit),
    /// 64 MiB strings, 4 million values.
    public static let metainfo = BencodeLimits(
        maxInputSize: 64 << 20, maxDepth: 100, maxStringLength: 64 << 20, maxElementCount: 4_000_000)

    /// Defaults for small protocol messages (KRPC, extension payloads): 1 MiB, depth 32.
    public static let message = BencodeLimits(
        maxInputSize: 1 << 20, maxDepth: 32, maxStringLength: 1 << 20, maxElementCount: 100_000)
}

/// A strict bencode decoder (BEP 3).
///
/// Rejects what BEP 3 forbids: leading zeros (`i03e`, `03:abc`), negative zero (`i-0e`),
/// empty integers, non-digit lengths, lengths past the end of input, duplicate dictionary keys,
/// truncated input and bytes after the top-level value. Dictionary keys out of sorted order
/// are accepted (real v1 torrents have them, and libtorrent accepts them) unless
/// ``requireSortedKeys`` is set; see `Docs/bencode-policy.md`.
///
/// Every error is a ``WireError`` with the byte offset of the problem. Iterative nesting is
/// bounded by ``BencodeLimits/maxDepth``, so hostile input cannot exhaust the stack.
public struct BencodeDecoder: Sendable {
    public var limits: BencodeLimits
    /// Reject dictionaries whose keys are not in strictly ascending byte order.
    public var requireSortedKeys: Bool

    public init(limits: BencodeLimits = .metainfo, requireSortedKeys: Bool = false) {
        self.limits = limits
        self.requireSortedKeys = requireSortedKeys
    }

    /// Decodes exactly one value that spans all of `input`.
    /// - Throws: ``WireError`` with code `.invalidBencode` or `.bencodeLimitExceeded`.
    public func decode(_ input: [UInt8]) throws(WireError) -> BencodeValue {
        let (value, end) = try decodePrefix(input)
        guard end == input.count else {
            throw WireError(.invalidBencode, "\(input.count - end) trailing bytes after the top-level value", offset: end)
        }
        return value
    }

    /// Decodes one value at the start of `input` and returns it with the offset just past it;
    /// for streams where other data follows (e.g. `ut_metadata` messages, BEP 9).
    /// - Throws: ``WireError`` with code `.invalidBencode` or `.bencodeLimitExceeded`.
    public func decodePrefix(_ input: [UInt8]) throws(WireError) -> (BencodeValue, Int) {
        guard input.count <= limits.maxInputSize else {
            throw WireError(.bencodeLimitExceeded, "input of \(input.count) bytes exceeds \(limits.maxInputSize)", offset: 0)
        }
        var parser = Parser(input: input, limits: limits, requireSortedKeys: requireSortedKeys, keepFirstDuplicate: false)
        let value = try parser.parse()
        return (value, parser.position)
    }

    /// Decodes like libtorrent: a repeated dictionary key keeps its first value and bytes after
    /// the top-level value are ignored, but both are reported, so a caller can first look for
    /// a more specific error and then still refuse the input. The metainfo parser uses this.
    /// - Returns: the value, and the first deferred problem (`.invalidBencode`), if any.
    /// - Throws: ``WireError`` for every other problem, as ``decode(_:)``.
    func decodeDeferringLenientErrors(_ input: [UInt8]) throws(WireError) -> (BencodeValue, WireError?) {
        guard input.count <= limits.maxInputSize else {
            throw WireError(.bencodeLimitExceeded, "input of \(input.count) bytes exceeds \(limits.maxInputSize)", offset: 0)
        }
        var parser = Parser(input: input, limits: limits, requireSortedKeys: requireSortedKeys, keepFirstDuplicate: true)
        let value = try parser.parse()
        if let offset = parser.firstDuplicateOffset {
            return (value, WireError(.invalidBencode, "duplicate dictionary key", offset: offset))
        }
        if parser.position < input.count {
            return (value, WireError(.invalidBencode, "\(input.count - parser.position) trailing bytes after the top-level value",
                                     offset: parser.position))
        }
        return (value, nil)
    }
}

private struct Parser {
    let input: [UInt8]
    let limits: BencodeLimits
    let requireSortedKeys: Bool
    let keepFirstDuplicate: Bool
    var position = 0
    var elements = 0
    var firstDuplicateOffset: Int?

    init(input: [UInt8], limits: BencodeLimits, requireSortedKeys: Bool, keepFirstDuplicate: Bool) {
        self.input = input
        self.limits = limits
        self.requireSortedKeys = requireSortedKeys
        self.keepFirstDuplicate = keepFirstDuplicate
    }

    /// An open list or dictionary. Its finished children wait on the shared `values`
    /// stack from `firstChild` on (for a dictionary, key and value alternate), so adding a
    /// child never copies the container: decoding stays linear in the input size.
    private struct Frame {
        var isDictionary: Bool
        var start: Int
        var firstChild: Int
        var keys: Set<[UInt8]> = []
        var lastKey: [UInt8]?
        var expectingKey = true
        /// The current key repeats an earlier one: drop its value (first value wins).
        var skippingValue = false
    }

    mutating func parse() throws(WireError) -> BencodeValue {
        var frames: [Frame] = []
        var values: [BencodeValue] = []
        while true {
            guard position < input.count else {
                throw WireError(.invalidBencode, "unexpected end of input", offset: position)
            }
            var completed: BencodeValue?
            let byte = input[position]

            // A dictionary expecting a key accepts only a string or its closing 'e'.
            if let top = frames.last, top.isDictionary, top.expectingKey, byte != UInt8(ascii: "e"),
                !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            {
                throw WireError(.invalidBencode, "dictionary key must be a byte string", offset: position)
            }

            switch byte {
            case UInt8(ascii: "i"):
                completed = try parseInteger()
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                completed = try parseString()
            case UInt8(ascii: "l"), UInt8(ascii: "d"):
                try countElement()
                guard frames.count < limits.maxDepth else {
                    throw WireError(.bencodeLimitExceeded, "nesting deeper than \(limits.maxDepth)", offset: position)
                }
                frames.append(Frame(isDictionary: byte == UInt8(ascii: "d"), start: position, firstChild: values.count))
                position += 1
            case UInt8(ascii: "e"):
                guard let frame = frames.popLast() else {
                    throw WireError(.invalidBencode, "unexpected 'e'", offset: position)
                }
                position += 1
                let children = values[frame.firstChild...]
                if frame.isDictionary {
                    guard frame.expectingKey else {
                        throw WireError(.invalidBencode, "dictionary key without a value", offset: position - 1)
                    }
                    var entries: [BencodeValue.Entry] = []
                    entries.reserveCapacity(children.count / 2)
                    var i = children.startIndex
                    while i < children.endIndex {
                        entries.append(.init(key: children[i].bytes ?? [], value: children[i + 1]))
                        i += 2
                    }
                    completed = BencodeValue(.dictionary(entries), byteRange: frame.start..<position)
                } else {
                    completed = BencodeValue(.list(Array(children)), byteRange: frame.start..<position)
                }
                values.removeSubrange(frame.firstChild...)
            default:
                throw WireError(.invalidBencode, "unexpected byte 0x\(String(byte, radix: 16))", offset: position)
            }

            guard let value = completed else { continue }
            guard !frames.isEmpty else { return value }
            let top = frames.count - 1
            if !frames[top].isDictionary {
                values.append(value)
            } else if frames[top].expectingKey {
                // Only strings get here as keys: the check at the top of the loop ensures it.
                guard let key = value.bytes, let offset = value.byteRange?.lowerBound else {
                    throw WireError(.invalidBencode, "dictionary key must be a byte string", offset: position)
                }
                let repeated = !frames[top].keys.insert(key).inserted
                if repeated {
                    guard keepFirstDuplicate else {
                        throw WireError(.invalidBencode, "duplicate dictionary key", offset: offset)
                    }
                    firstDuplicateOffset = firstDuplicateOffset ?? offset
                }
                if requireSortedKeys, let last = frames[top].lastKey, !last.lexicographicallyPrecedes(key) {
                    throw WireError(.invalidBencode, "dictionary keys not in sorted order", offset: offset)
                }
                frames[top].lastKey = key
                frames[top].expectingKey = false
                frames[top].skippingValue = repeated
                if !repeated { values.append(value) }
            } else {
                if !frames[top].skippingValue { values.append(value) }
                frames[top].expectingKey = true
                frames[top].skippingValue = false
            }
        }
    }

    private mutating func countElement() throws(WireError) {
        elements += 1
        guard elements <= limits.maxElementCount else {
            throw WireError(.bencodeLimitExceeded, "more than \(limits.maxElementCount) values", offset: position)
        }
    }

    private mutating func parseInteger() throws(WireError) -> BencodeValue {
        try countElement()
        let start = position
        position += 1  // 'i'
        var negative = false
        if position < input.count, input[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        let digitsStart = position
        var magnitude: UInt64 = 0
        while position < input.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(input[position]) {
            let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (m2, o2) = m1.addingReportingOverflow(UInt64(input[position] - UInt8(ascii: "0")))
            guard !o1, !o2, m2 <= UInt64(Int64.max) + (negative ? 1 : 0) else {
                throw WireError(.invalidBencode, "integer does not fit in 64 bits", offset: start)
            }
            magnitude = m2
            position += 1
        }
        let digitCount = position - digitsStart
        guard position < input.count else {
            throw WireError(.invalidBencode, "unterminated integer", offset: start)
        }
        guard input[position] == UInt8(ascii: "e") else {
            throw WireError(.invalidBencode, "invalid character in integer", offset: position)
        }
        guard digitCount > 0 else { throw WireError(.invalidBencode, "empty integer", offset: start) }
        if input[digitsStart] == UInt8(ascii: "0") {
            if digitCount > 1 { throw WireError(.invalidBencode, "integer with a leading zero", offset: start) }
            if negative { throw WireError(.invalidBencode, "negative zero integer", offset: start) }
        }
        position += 1
        let value: Int64 = negative ? (magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)) : Int64(magnitude)
        return BencodeValue(.integer(value), byteRange: start..<position)
    }

    private mutating func parseString() throws(WireError) -> BencodeValue {
        try countElement()
        let start = position
        var length = 0
        while position < input.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(input[position]) {
            length = length * 10 + Int(input[position] - UInt8(ascii: "0"))
            guard length <= limits.maxStringLength else {
                throw WireError(.bencodeLimitExceeded, "string longer than \(limits.maxStringLength) bytes", offset: start)
            }
            position += 1
        }
        guard position < input.count else { throw WireError(.invalidBencode, "unterminated string length", offset: start) }
        guard input[position] == UInt8(ascii: ":") else {
            throw WireError(.invalidBencode, "invalid character in string length", offset: position)
        }
        if position - start > 1, input[start] == UInt8(ascii: "0") {
            throw WireError(.invalidBencode, "string length with a leading zero", offset: start)
        }
        position += 1
        guard length <= input.count - position else {
            throw WireError(.invalidBencode, "string of \(length) bytes runs past the end of input", offset: start)
        }
        let bytes = Array(input[position..<position + length])
        position += length
        return BencodeValue(.string(bytes), byteRange: start..<position)
    }
}
