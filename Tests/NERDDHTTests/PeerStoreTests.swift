import NIOCore
import Testing

@testable import NERDDHT

@Suite struct PeerStoreTests {
    /// A seed and a downloader on one host are both found; a ninth port of one address
    /// replaces the one announced longest ago.
    @Test func peersAreKeptByAddressAndPort() {
        var store = PeerStore()
        let hash = NodeID.random()
        let start = NIODeadline.now()
        func peer(_ port: UInt16) -> [UInt8] { [127, 0, 0, 1, UInt8(port >> 8), UInt8(port & 0xFF)] }
        store.add(peer(6881), for: hash, terms: nil, now: start)
        store.add(peer(6882), for: hash, terms: nil, now: start + .seconds(1))
        #expect(Set(store.lookup(hash, limit: 50, now: start + .seconds(2)).map(\.compact)) == [peer(6881), peer(6882)])
        for port in UInt16(6883)...6889 { store.add(peer(port), for: hash, terms: nil, now: start + .seconds(Int64(port - 6880))) }
        let held = Set(store.lookup(hash, limit: 50, now: start + .seconds(10)).map(\.compact))
        #expect(held.count == PeerStore.maxPortsPerAddress)
        #expect(!held.contains(peer(6881)) && held.contains(peer(6889)))
        // Announcing again refreshes a port without pushing another out.
        store.add(peer(6882), for: hash, terms: nil, now: start + .seconds(11))
        #expect(store.lookup(hash, limit: 50, now: start + .seconds(12)).count == PeerStore.maxPortsPerAddress)
    }

    /// IPv6 addresses print in their short form and parse back to the same bytes.
    @Test func ipv6AddressesPrintShort() throws {
        let loopback = DHTAddress(ip: [UInt8](repeating: 0, count: 15) + [1], port: 6881)
        #expect(loopback.description == "[::1]:6881")
        let documentation = try #require(DHTAddress("[2001:db8::42:1]:51413"))
        #expect(documentation.description == "[2001:db8::42:1]:51413")
        #expect(DHTAddress(documentation.description) == documentation)
    }
}
