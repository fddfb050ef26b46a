import Foundation
import NERDWire
import Testing

@testable import NERDTracker

@Suite struct HTTPTrackerCodecTests {
    static let peerID = Array("-NE0001-abcdefghijkl".utf8)

    func request() throws -> AnnounceRequest {
        var r = AnnounceRequest(infoHash: [0, 0x25, 0x26, 0x3D, 0x2B, 0x20, 0xFF, 0x80, 0x7F, 0x3F] + Array(repeating: 0xAB, count: 10),
                                peerID: Self.peerID, port: 51413, uploaded: 10, downloaded: 20, left: 30, event: .started,
                                numWant: 25, key: 0xDEADBEEF, wantsTerms: true)
        r.terms = try PaymentTerms(payee: [2] + Array(repeating: 7, count: 32), priceMillisatoshisPerMiB: 1500,
                                   currencies: ["BSV", "NERD"], uploadRate: 1_000_000, uptime: 3600)
        return r
    }

    @Test func announceQueryRoundTripsBinaryValues() throws {
        let original = try request()
        let query = HTTPTrackerCodec.query(for: original)
        let parsed = try HTTPTrackerCodec.parseAnnounce(query: query[...])
        #expect(parsed == original)
    }

    @Test func everyByteValueSurvivesEscaping() throws {
        for start in stride(from: 0, to: 256, by: 20) {
            let hash = (0..<20).map { UInt8((start + $0) & 0xFF) }
            let r = AnnounceRequest(infoHash: hash, peerID: Self.peerID, port: 1, left: 0)
            #expect(try HTTPTrackerCodec.parseAnnounce(query: HTTPTrackerCodec.query(for: r)[...]).infoHash == hash)
        }
    }

    @Test(arguments: [
        ("peer_id=-NE0001-abcdefghijkl&port=1", "info_hash"),
        ("info_hash=%00%01&peer_id=-NE0001-abcdefghijkl&port=1", "info_hash"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&port=1", "peer_id"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl", "port"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=70000", "port"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&left=-5", "left"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&uploaded=99999999999999999999999", "uploaded"),
        ("info_hash=%G1aaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1", "percent-escape"),
        ("info_hash=aaaaaaaaaaaaaaaaaaa%&peer_id=-NE0001-abcdefghijkl&port=1", "percent-escape"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_payee=zz&nerd_price=1", "nerd_payee"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_payee=0202&nerd_price=1", "nerd_payee must"),
        // Terms come whole: numbers bencode cannot carry unchanged, parts without a payee, empty codes.
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_payee=021111111111111111111111111111111111111111111111111111111111111111&nerd_price=18446744073709551615",
         "nerd_price"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_payee=021111111111111111111111111111111111111111111111111111111111111111&nerd_price=1&nerd_up=9223372036854775808",
         "nerd_up"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_price=5", "nerd_price given without nerd_payee"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_currencies=BSV", "nerd_currencies given without"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&nerd_payee=021111111111111111111111111111111111111111111111111111111111111111&nerd_price=1&nerd_currencies=BSV,,NERD",
         "nerd_currencies must"),
        ("info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=1&numwant=abc", "numwant is not an integer"),
    ])
    func malformedAnnouncesNameTheProblem(query: String, mentions: String) {
        #expect {
            _ = try HTTPTrackerCodec.parseAnnounce(query: query[...])
        } throws: { error in
            let e = error as? TrackerError
            return e?.code == .invalidRequest && e?.message.contains(mentions) == true
        }
    }

    @Test func oversizedQueriesAndTooManyPairsAreRefused() {
        let long = "info_hash=" + String(repeating: "a", count: 9000)
        #expect(throws: TrackerError.self) { _ = try HTTPTrackerCodec.parseAnnounce(query: long[...]) }
        let many = (0..<200).map { "k\($0)=v" }.joined(separator: "&")
        #expect(throws: TrackerError.self) { _ = try HTTPTrackerCodec.parseAnnounce(query: many[...]) }
    }

    @Test func unknownEventsAndNegativeNumwantFallBackToDefaults() throws {
        let q = "info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=6881&event=paused&numwant=-1"
        let r = try HTTPTrackerCodec.parseAnnounce(query: q[...])
        #expect(r.event == .none)
        #expect(r.numWant == nil)
        #expect(r.left == 1, "a missing left counts as a leecher")
        let blank = "info_hash=aaaaaaaaaaaaaaaaaaaa&peer_id=-NE0001-abcdefghijkl&port=6881&numwant="
        #expect(try HTTPTrackerCodec.parseAnnounce(query: blank[...]).numWant == nil, "an empty numwant is the default")
    }

    @Test func scrapeTakesRepeatedHashesWithinLimits() throws {
        let hashes = (0..<3).map { i in [UInt8](repeating: UInt8(i), count: 20) }
        let query = hashes.map { "info_hash=" + URLEscaping.escapeComponent($0) }.joined(separator: "&")
        #expect(try HTTPTrackerCodec.parseScrape(query: query[...]) == hashes)
        #expect(throws: TrackerError.self) { _ = try HTTPTrackerCodec.parseScrape(query: ""[...]) }
        let tooMany = (0..<65).map { "info_hash=aaaaaaaaaaaaaaaaa" + String(format: "%03d", $0) }.joined(separator: "&")
        #expect(throws: TrackerError.self) { _ = try HTTPTrackerCodec.parseScrape(query: tooMany[...]) }
        // The same hash twice is answered once.
        let twice = "info_hash=aaaaaaaaaaaaaaaaaaaa&info_hash=aaaaaaaaaaaaaaaaaaaa"
        #expect(try HTTPTrackerCodec.parseScrape(query: twice[...]).count == 1)
    }

    @Test func scrapeURLFollowsTheConvention() {
        #expect(HTTPTrackerCodec.scrapeURL(forAnnounce: "http://t.example/announce") == "http://t.example/scrape")
        #expect(HTTPTrackerCodec.scrapeURL(forAnnounce: "http://t.example/x/announce.php?k=1") == "http://t.example/x/scrape.php?k=1")
        #expect(HTTPTrackerCodec.scrapeURL(forAnnounce: "http://t.example/a") == nil)
        #expect(HTTPTrackerCodec.scrapeURL(forAnnounce: "http://t.example/scrape") == "http://t.example/scrape", "given as a scrape URL")
    }

    @Test func announceReplyRoundTripsWithPeers6AndTerms() throws {
        let v4 = TrackerPeer(ip: [127, 0, 0, 1], port: 6881)
        let v6 = TrackerPeer(ip: [UInt8](repeating: 0, count: 15) + [1], port: 6882)
        let terms = try PaymentTerms(payee: [3] + Array(repeating: 9, count: 32), priceMillisatoshisPerMiB: 42)
        let body = HTTPTrackerCodec.encodeAnnounce(interval: 900, minInterval: 60, complete: 3, incomplete: 4, compact: true,
                                                   peers4: v4.compact, peers6: v6.compact, terms: [(v4.compact, terms)])
        let reply = try HTTPTrackerCodec.parseAnnounceResponse(body)
        #expect(reply.interval == 900 && reply.minInterval == 60 && reply.complete == 3 && reply.incomplete == 4)
        #expect(reply.peers == [v4, v6])
        #expect(reply.terms == [v4: terms])
    }

    @Test func dictionaryPeerListsAreRead() throws {
        let body = Array("d8:intervali60e5:peersld2:ip9:127.0.0.14:porti7000eed2:ip11:example.org4:porti1eeee".utf8)
        let reply = try HTTPTrackerCodec.parseAnnounceResponse(body)
        #expect(reply.peers == [TrackerPeer(ip: [127, 0, 0, 1], port: 7000)], "host names are skipped")
    }

    @Test func failuresAndMalformedRepliesAreTyped() {
        #expect { try HTTPTrackerCodec.parseAnnounceResponse(HTTPTrackerCodec.encodeFailure("go away")) } throws: {
            ($0 as? TrackerError) == TrackerError(.trackerFailure, "go away")
        }
        for bad in ["", "de5", "i5e", "d5:peers5:abcdee", "d8:intervali-1ee"] {
            #expect(throws: TrackerError.self) { try HTTPTrackerCodec.parseAnnounceResponse(Array(bad.utf8)) }
        }
    }

    @Test func trackerURLsParse() throws {
        let u = try TrackerURL("udp://127.0.0.1:6969/announce")
        #expect(u.scheme == .udp && u.host == "127.0.0.1" && u.port == 6969 && u.isLoopback)
        let h = try TrackerURL("http://[::1]:8080/announce?passkey=abc")
        #expect(h.host == "::1" && h.port == 8080 && h.pathAndQuery == "/announce?passkey=abc" && h.isLoopback)
        #expect(try TrackerURL("http://tracker.example.org/announce").port == 80)
        for bad in ["https://t.example/announce", "udp://t.example/announce", "ws://x:1", "nonsense", "http://:80/"] {
            #expect(throws: TrackerError.self) { _ = try TrackerURL(bad) }
        }
    }
}

@Suite struct CompactReplyEncodingTests {
    @Test func fastPathWritesTheSameBytesAsTheGeneralEncoder() throws {
        let peers4 = TrackerPeer(ip: [127, 0, 0, 1], port: 6881).compact + TrackerPeer(ip: [10, 0, 0, 9], port: 1).compact
        let peers6 = TrackerPeer(ip: [UInt8](repeating: 0, count: 15) + [1], port: 2).compact
        for (p4, p6, warning) in [(peers4, peers6, nil), (peers4, [], nil), ([], [], nil), (peers4, peers6, "swarm is full")] {
            let fast = HTTPTrackerCodec.encodeCompactAnnounce(interval: 1800, minInterval: 300, complete: 12, incomplete: 0,
                                                              peers4: p4, peers6: p6, warning: warning)
            var pairs: [(String, BencodeValue)] = [("interval", .integer(1800)), ("min interval", .integer(300)),
                                                   ("complete", .integer(12)), ("incomplete", .integer(0)), ("peers", .string(p4))]
            if !p6.isEmpty { pairs.append(("peers6", .string(p6))) }
            if let warning { pairs.append(("warning message", .string(Array(warning.utf8)))) }
            #expect(fast == (try BencodeEncoder.encode(.dictionary(pairs))))
        }
    }
}
