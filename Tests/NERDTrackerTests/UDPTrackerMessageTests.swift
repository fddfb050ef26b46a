import NIOCore
import Testing

@testable import NERDTracker

@Suite struct UDPTrackerMessageTests {
    func bytes(_ m: UDPTrackerMessage) -> ByteBuffer {
        var b = ByteBuffer()
        m.write(to: &b)
        return b
    }

    @Test func requestsRoundTrip() {
        let announce = AnnounceRequest(infoHash: Array(repeating: 1, count: 20), peerID: Array(repeating: 2, count: 20),
                                       port: 6881, uploaded: 3, downloaded: 4, left: 5, event: .completed, numWant: 7,
                                       key: 9)
        let messages: [UDPTrackerMessage] = [
            .connectRequest(transactionID: 77),
            .announceRequest(connectionID: 0x1122_3344_5566_7788, transactionID: 5, request: announce),
            .scrapeRequest(connectionID: 1, transactionID: 2, infoHashes: [Array(repeating: 3, count: 20), Array(repeating: 4, count: 20)]),
        ]
        for m in messages { #expect(UDPTrackerMessage.parseRequest(bytes(m)) == m) }
        #expect(bytes(messages[1]).readableBytes == 98, "BEP 15 announce is 98 bytes")
    }

    @Test func repliesRoundTrip() {
        let peers = [TrackerPeer(ip: [127, 0, 0, 1], port: 1), TrackerPeer(ip: [10, 0, 0, 2], port: 65535)]
        let messages: [UDPTrackerMessage] = [
            .connectResponse(transactionID: 1, connectionID: 99),
            .announceResponse(transactionID: 2, interval: 1800, leechers: 3, seeders: 4, peers: peers),
            .scrapeResponse(transactionID: 3, entries: [ScrapeEntry(complete: 1, downloaded: 2, incomplete: 3)]),
            .error(transactionID: 4, message: "bad connection ID"),
        ]
        for m in messages { #expect(UDPTrackerMessage.parseResponse(bytes(m), addressLength: 4) == m) }
    }

    @Test func announceWithBEP41OptionsIsAccepted() {
        let announce = AnnounceRequest(infoHash: Array(repeating: 1, count: 20), peerID: Array(repeating: 2, count: 20),
                                       port: 1, left: 0, noPeerID: false)
        var b = bytes(.announceRequest(connectionID: 1, transactionID: 2, request: announce))
        b.writeBytes([2, 5] + Array("/ann?".utf8) + [0])  // URLData option, then end of options
        #expect(UDPTrackerMessage.parseRequest(b) != nil)
    }

    @Test func hostilePacketsAreDropped() {
        var wrongMagic = ByteBuffer()
        wrongMagic.writeMultipleIntegers(UInt64(12345), UInt32(0), UInt32(1))
        var truncatedAnnounce = ByteBuffer()
        truncatedAnnounce.writeMultipleIntegers(UInt64(1), UInt32(1), UInt32(1))
        truncatedAnnounce.writeBytes([UInt8](repeating: 0, count: 50))
        var unknownAction = ByteBuffer()
        unknownAction.writeMultipleIntegers(UInt64(1), UInt32(9), UInt32(1))
        var tooManyScrapes = ByteBuffer()
        tooManyScrapes.writeMultipleIntegers(UInt64(1), UInt32(2), UInt32(1))
        tooManyScrapes.writeBytes([UInt8](repeating: 0, count: 20 * 75))
        var oversized = ByteBuffer()
        oversized.writeBytes([UInt8](repeating: 0, count: 4000))
        for packet in [ByteBuffer(), ByteBuffer(bytes: [1, 2, 3]), wrongMagic, truncatedAnnounce, unknownAction, tooManyScrapes, oversized] {
            #expect(UDPTrackerMessage.parseRequest(packet) == nil)
        }
        var badPeers = ByteBuffer()
        badPeers.writeMultipleIntegers(UInt32(1), UInt32(1), UInt32(1), UInt32(1), UInt32(1))
        badPeers.writeBytes([1, 2, 3])
        #expect(UDPTrackerMessage.parseResponse(badPeers, addressLength: 4) == nil)
    }

    @Test func connectionIDsExpireAndAreBoundToTheAddress() {
        let ids = ConnectionIDs()
        let id = ids.issue(address: [127, 0, 0, 1], port: 5000, now: 1000)
        #expect(ids.isValid(id, address: [127, 0, 0, 1], port: 5000, now: 1000))
        #expect(ids.isValid(id, address: [127, 0, 0, 1], port: 5000, now: 1000 + 60), "valid into the next window")
        #expect(!ids.isValid(id, address: [127, 0, 0, 1], port: 5000, now: 1000 + 180), "expired after two windows")
        #expect(!ids.isValid(id, address: [127, 0, 0, 2], port: 5000, now: 1000))
        #expect(!ids.isValid(id, address: [127, 0, 0, 1], port: 5001, now: 1000))
        #expect(!ids.isValid(id &+ 1, address: [127, 0, 0, 1], port: 5000, now: 1000))
        #expect(ConnectionIDs().issue(address: [127, 0, 0, 1], port: 5000, now: 1000) != id, "each server has its own secret")
    }
}
