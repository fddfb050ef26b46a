import NERDWire
import Testing

@Suite struct MagnetURITests {
    @Test func parsesHexBtihAndEveryKnownKey() throws {
        let magnet = try MagnetURI(parsing:
            "magnet:?xt=urn:btih:C9E15763F722F23E98A29DECDFAE341B98D53056&dn=Cosmos+Laundromat%20%28HD%29"
            + "&tr=udp%3A%2F%2F127.0.0.1%3A6969&tr.1=http://127.0.0.1/announce&tr=udp%3A%2F%2F127.0.0.1%3A6969"
            + "&ws=http%3A%2F%2F127.0.0.1%2Ffiles%2F&x.pe=127.0.0.1:51413&so=0,2,4-6&unknown=1")
        #expect(magnet.infoHashes.v1?.hex == "c9e15763f722f23e98a29decdfae341b98d53056")
        #expect(magnet.infoHashes.v2 == nil)
        #expect(magnet.displayName == "Cosmos Laundromat (HD)")
        #expect(magnet.trackers == ["udp://127.0.0.1:6969", "http://127.0.0.1/announce"])
        #expect(magnet.webSeeds == ["http://127.0.0.1/files/"])
        #expect(magnet.peers == ["127.0.0.1:51413"])
        #expect(magnet.selectOnly == [0...0, 2...2, 4...6])
    }

    @Test func base32BtihMatchesHex() throws {
        let hex = try MagnetURI(parsing: "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056")
        let base32 = try MagnetURI(parsing: "magnet:?xt=urn:btih:ZHQVOY7XELZD5GFCTXWN7LRUDOMNKMCW")
        #expect(base32.infoHashes.v1 == hex.infoHashes.v1)
    }

    @Test func hybridMagnetCarriesBothHashes() throws {
        let v2 = "d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb"
        let magnet = try MagnetURI(parsing:
            "magnet:?xt=urn:btih:631a31dd0a46257d5078c0dee4e66e26f73e42ac&xt=urn:btmh:1220\(v2)&dn=bittorrent-v1-v2-hybrid-test")
        #expect(magnet.infoHashes.v1?.hex == "631a31dd0a46257d5078c0dee4e66e26f73e42ac")
        #expect(magnet.infoHashes.v2?.hex == v2)
        #expect(try MagnetURI(parsing: magnet.uriString) == magnet)
    }

    @Test(arguments: [
        "http://example.com/?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056",
        "magnet:?dn=nothing",
        "magnet:?xt=urn:btih:c9e15763",
        "magnet:?xt=urn:btih:zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "magnet:?xt=urn:btmh:1114c9e15763f722f23e98a29decdfae341b98d53056",
        "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=%zz",
        "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&so=3-1",
        "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&so=-",
        "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&so=-5",
        "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&so=1-",
        "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&so=0-9223372036854775807",
    ])
    func rejectsMalformedMagnets(text: String) {
        #expect(throws: WireError.self) { try MagnetURI(parsing: text) }
        do { _ = try MagnetURI(parsing: text) } catch { #expect(error.code == .invalidMagnet) }
    }

    @Test func oversizedMagnetIsRefused() {
        let text = "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056&dn=" + String(repeating: "a", count: 70_000)
        #expect(throws: WireError.self) { try MagnetURI(parsing: text) }
    }

    @Test func magnetFromMetainfoRoundTrips() throws {
        let bytes = Array("d8:announce27:http://127.0.0.1:1/announce4:infod6:lengthi5e4:name5:a b c12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee".utf8)
        let metainfo = try Metainfo(bytes: bytes)
        let magnet = MagnetURI(metainfo: metainfo)
        #expect(magnet.uriString.hasPrefix("magnet:?xt=urn:btih:\(metainfo.infoHashes.v1!.hex)&dn=a%20b%20c&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce"))
        let parsed = try MagnetURI(parsing: magnet.uriString)
        #expect(parsed.displayName == "a b c")
        #expect(parsed.trackers == ["http://127.0.0.1:1/announce"])
        #expect(parsed.infoHashes == metainfo.infoHashes)
    }
}
