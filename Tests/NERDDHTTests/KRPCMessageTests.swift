import NERDWire
import Testing

@testable import NERDDHT

@Suite struct KRPCMessageTests {
    let id = NodeID(Array("abcdefghij0123456789".utf8))!

    @Test func bep5ExamplesParse() throws {
        let ping = try KRPCMessage(bytes: Array("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe".utf8))
        #expect(ping.transactionID == Array("aa".utf8))
        #expect(ping.body == .query(method: "ping", arguments: KRPCArguments(id: id)))
        let error = try KRPCMessage(bytes: Array("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee".utf8))
        #expect(error.body == .error(code: 201, message: "A Generic Error Ocurred"))
        let getPeers = try KRPCMessage(bytes: Array(
            "d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re".utf8))
        guard case .response(let r) = getPeers.body else { Issue.record("not a response"); return }
        #expect(r.token == Array("aoeusnth".utf8))
        #expect(r.values == [Array("axje.u".utf8), Array("idhtnm".utf8)])
    }

    @Test func messagesRoundTrip() throws {
        var arguments = KRPCArguments(id: id)
        arguments.infoHash = .random()
        arguments.port = 6881
        arguments.impliedPort = true
        arguments.token = [1, 2, 3]
        arguments.nodes = [DHTNodeInfo(id: .random(), ip: [127, 0, 0, 1], port: 7000)]
        arguments.values = [[127, 0, 0, 1, 0x1A, 0xE1]]
        arguments.nerd = .dictionary([("price", .integer(5))])
        for body: KRPCMessage.Body in [.query(method: "announce_peer", arguments: arguments), .response(arguments),
                                       .error(code: 203, message: "bad")] {
            let message = KRPCMessage(transactionID: [9, 9], body: body, version: Array("NE01".utf8), yourAddress: [127, 0, 0, 1, 0, 80])
            #expect(try KRPCMessage(bytes: message.bytes) == message)
        }
    }

    @Test(arguments: [
        ("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe", false),  // no t: dropped
        ("d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe", true),  // short id
        ("d1:ad2:idi5ee1:q4:ping1:t2:aa1:y1:qe", true),  // id of the wrong type
        ("d1:rd2:id20:abcdefghij01234567895:nodes5:abcdee1:t2:aa1:y1:re", true),  // truncated node string
        ("d1:q4:ping1:t2:aa1:y1:qe", true),  // no a
        ("d1:t2:aa1:y1:xe", true),  // unknown type
        ("i42e", false), ("", false), ("d1:t", false),
    ])
    func hostileDatagramsAreRefused(text: String, answerable: Bool) {
        #expect {
            _ = try KRPCMessage(bytes: Array(text.utf8))
        } throws: { error in
            guard let error = error as? KRPCError else { return false }
            return (error.transactionID != nil) == answerable && error.code == KRPCMessage.ErrorCode.protocol
        }
    }

    @Test func oversizedDatagramsAreRefused() {
        #expect(throws: KRPCError.self) { _ = try KRPCMessage(bytes: [UInt8](repeating: 0x64, count: 5000)) }
    }
}
