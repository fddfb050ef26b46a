import NERDWire
import Testing

@Suite struct BencodeTests {
    func decode(_ text: String, limits: BencodeLimits = .metainfo) throws(WireError) -> BencodeValue {
        try BencodeDecoder(limits: limits).decode(Array(text.utf8))
    }

    func rejection(_ text: String, limits: BencodeLimits = .metainfo) -> WireError? {
        do {
            _ = try decode(text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func decodesAllKindsWithByteRanges() throws {
        let value = try decode("d3:bar4:spam3:fooi42e4:listli-7e0:ee")
        #expect(value["bar"]?.utf8String == "spam")
        #expect(value["foo"]?.integer == 42)
        #expect(value["list"]?.list?.map(\.integer) == [-7, nil])
        #expect(value["list"]?.list?[1].bytes == [])
        #expect(value.byteRange == 0..<36)
        #expect(value["foo"]?.byteRange == 17..<21)
        #expect(value["list"]?.byteRange == 27..<35)
    }

    @Test func integerExtremes() throws {
        #expect(try decode("i9223372036854775807e").integer == Int64.max)
        #expect(try decode("i-9223372036854775808e").integer == Int64.min)
        #expect(try decode("i0e").integer == 0)
        #expect(rejection("i9223372036854775808e")?.code == .invalidBencode)
    }

    @Test(arguments: [
        ("i03e", 0), ("i-0e", 0), ("ie", 0), ("i-e", 0), ("i12", 0), ("i1x2e", 2),
        ("03:abc", 0), ("-3:abc", 0), ("5:abc", 0), ("3abc", 1),
        ("d3:fooi1e3:fooi2ee", 9), ("di1ei2ee", 1), ("d3:foo", 6), ("l", 1), ("e", 0),
        ("i1ei2e", 3), ("de\n", 2), ("", 0), ("x", 0),
    ])
    func rejectsWhatBEP3Forbids(input: String, offset: Int) {
        let error = rejection(input)
        #expect(error?.code == .invalidBencode, "\(input)")
        #expect(error?.offset == offset, "\(input)")
    }

    @Test func limitsAreEnforced() {
        let tight = BencodeLimits(maxInputSize: 100, maxDepth: 3, maxStringLength: 5, maxElementCount: 4)
        #expect(rejection("llllee", limits: tight)?.code == .bencodeLimitExceeded)
        #expect(rejection("6:abcdef", limits: tight)?.code == .bencodeLimitExceeded)
        #expect(rejection("li1ei2ei3ei4ee", limits: tight)?.code == .bencodeLimitExceeded)
        #expect(rejection(String(repeating: "l", count: 101), limits: tight)?.code == .bencodeLimitExceeded)
        // A huge declared length is refused before any allocation.
        #expect(rejection("99999999999999999999:x")?.code == .bencodeLimitExceeded)
        // Deep nesting is a typed error, not a stack overflow.
        let deep = String(repeating: "l", count: 100_000) + String(repeating: "e", count: 100_000)
        #expect(rejection(deep)?.code == .bencodeLimitExceeded)
    }

    @Test func unsortedKeysArePolicy() throws {
        // Accepted by default (real torrents have them), refused when asked.
        #expect(try decode("d1:bi1e1:ai2ee")["a"]?.integer == 2)
        #expect(throws: WireError.self) {
            try BencodeDecoder(requireSortedKeys: true).decode(Array("d1:bi1e1:ai2ee".utf8))
        }
    }

    @Test func encoderIsCanonical() throws {
        let value = BencodeValue.dictionary([
            ("zeta", .integer(-3)), ("alpha", .list([.string("x"), .integer(0)])), ("mid", .string([0, 255])),
        ])
        let bytes = try BencodeEncoder.encode(value)
        #expect(bytes == Array("d5:alphal1:xi0ee3:mid2:".utf8) + [0, 255] + Array("4:zetai-3ee".utf8))
        #expect(try BencodeEncoder.encode(BencodeDecoder(requireSortedKeys: true).decode(bytes)) == bytes)
        #expect(throws: WireError.self) {
            try BencodeEncoder.encode(.dictionary([("a", .integer(1)), ("a", .integer(2))]))
        }
    }

    @Test func prefixDecodingReportsTheEnd() throws {
        let (value, end) = try BencodeDecoder().decodePrefix(Array("d1:ai1eeXYZ".utf8))
        #expect(value["a"]?.integer == 1)
        #expect(end == 8)
    }
}
