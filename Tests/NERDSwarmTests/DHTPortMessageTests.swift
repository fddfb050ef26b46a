import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOConcurrencyHelpers
import Testing

/// BEP 5 on the peer wire: a session running a DHT sets the DHT bit and tells peers that set
/// it too its UDP port; a session without one sends neither.
@Suite(.serialized) struct DHTPortMessageTests {
    /// A leecher downloads from a seeder; each side runs a DHT at the given port, or none.
    /// - Returns: the DHT addresses each side heard from the other.
    func transfer(seederDHT: UInt16?, leecherDHT: UInt16?) async throws -> (bySeeder: [String], byLeecher: [String]) {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = EncryptedTransferTests.session(dir, .enabled)
        let leecher = EncryptedTransferTests.session(dir, .enabled, state: "state")
        let heardBySeeder = NIOLockedValueBox<[String]>([])
        let heardByLeecher = NIOLockedValueBox<[String]>([])
        seeder.setDHTPort(seederDHT)
        leecher.setDHTPort(leecherDHT)
        seeder.onDHTPort { address in heardBySeeder.withLockedValue { $0.append(address.description) } }
        leecher.onDHTPort { address in heardByLeecher.withLockedValue { $0.append(address.description) } }
        let leech = try await SwarmTransferTests.connectPair(seeder, leecher, dir, metainfo).leech
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        await leecher.shutdown()
        await seeder.shutdown()
        return (heardBySeeder.withLockedValue { $0 }, heardByLeecher.withLockedValue { $0 })
    }

    @Test func portMessageFlowsBothWays() async throws {
        let heard = try await transfer(seederDHT: 4242, leecherDHT: 4343)
        // Once per connection; the two may reconnect (a given peer is re-dialled after two
        // seeds part), each time with the same port.
        #expect(Set(heard.byLeecher) == ["127.0.0.1:4242"])
        #expect(Set(heard.bySeeder) == ["127.0.0.1:4343"])
    }

    @Test func noDHTNoPortMessage() async throws {
        let heard = try await transfer(seederDHT: nil, leecherDHT: 4343)
        #expect(heard.byLeecher.isEmpty)
    }
}
