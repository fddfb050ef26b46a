import NERDWire
import Testing

@Suite struct MetadataMessageTests {
    @Test func messagesRoundTrip() throws {
        let full = [UInt8](repeating: 7, count: MetadataMessage.pieceSize)
        for message: MetadataMessage in [.request(piece: 3), .reject(piece: 0), .data(piece: 0, totalSize: 20_000, bytes: full),
                                         .data(piece: 1, totalSize: 20_000, bytes: [UInt8](repeating: 1, count: 20_000 - 16384))] {
            #expect(try MetadataMessage(payload: message.payload) == message)
        }
    }

    @Test func bep9ExampleParses() throws {
        #expect(try MetadataMessage(payload: Array("d8:msg_typei0e5:piecei0ee".utf8)) == .request(piece: 0))
        let data = Array("d8:msg_typei1e5:piecei0e10:total_sizei3ee".utf8) + [1, 2, 3]
        #expect(try MetadataMessage(payload: data) == .data(piece: 0, totalSize: 3, bytes: [1, 2, 3]))
    }

    @Test(arguments: [
        "d8:msg_typei1e5:piecei0e10:total_sizei5ee" + "abc",  // piece shorter than its size says
        "d8:msg_typei1e5:piecei0e10:total_sizei99999999ee",  // over 16 MiB
        "d8:msg_typei1e5:piecei5e10:total_sizei10ee",  // piece past the end
        "d8:msg_typei7e5:piecei0ee",  // unknown type
        "d8:msg_typei0e5:piecei-1ee",  // negative piece
        "d8:msg_typei0ee",  // no piece
        "d8:msg_typeli0ee5:piecei0ee",  // nested value
        "d8:msg_typei0e5:piecei0e",  // unterminated
        "i5e", "",
    ])
    func malformedMessagesAreRefused(text: String) {
        #expect(throws: WireError.self) { try MetadataMessage(payload: Array(text.utf8)) }
    }

    @Test func pieceArithmetic() {
        #expect(MetadataMessage.pieceCount(totalSize: 16384) == 1)
        #expect(MetadataMessage.pieceCount(totalSize: 16385) == 2)
        #expect(MetadataMessage.length(ofPiece: 1, totalSize: 16385) == 1)
        #expect(MetadataMessage.length(ofPiece: 2, totalSize: 16385) == 0)
    }
}
