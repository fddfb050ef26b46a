import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOConcurrencyHelpers
import Testing

/// BEP 5 on the peer wire: a session running a DHT sets the DHT bit and tells peers that set
/// it too its UDP port; a session without one sends neither.
@Suite(.serialized) struct DHTPortMessageTests {
    @Test func portMessageFlowsBothWays() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = EncryptedTransferTests.session(dir, .enabled)
        let leecher = EncryptedTransferTests.session(dir, .enabled, state: "state")
        seeder.setDHTPort(4242)
        leecher.setDHTPort(4343)
        let heardBySeeder = NIOLockedValueBox<[String]>([])
        let heardByLeecher = NIOLockedValueBox<[String]>([])
        seeder.onDHTPort { address in heardBySeeder.withLockedValue { $0.append(address.description) } }
        leecher.onDHTPort { address in heardByLeecher.withLockedValue { $0.append(address.description) } }
        try await seeder.start()
        try await leecher.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        // Once per connection; the two may reconnect (a given peer is re-dialled after two
        // seeds part), each time with the same port.
        #expect(Set(heardByLeecher.withLockedValue { $0 }) == ["127.0.0.1:4242"])
        #expect(Set(heardBySeeder.withLockedValue { $0 }) == ["127.0.0.1:4343"])
        await leecher.shutdown()
        await seeder.shutdown()
    }

    @Test func noDHTNoPortMessage() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = EncryptedTransferTests.session(dir, .enabled)
        let leecher = EncryptedTransferTests.session(dir, .enabled, state: "state")
        leecher.setDHTPort(4343)
        let heard = NIOLockedValueBox<[String]>([])
        leecher.onDHTPort { address in heard.withLockedValue { $0.append(address.description) } }
        try await seeder.start()
        try await leecher.start()
        _ = try await seeder.add(metainfo: metainfo, savePath: dir.path + "/seed")
        let leech = try await leecher.add(metainfo: metainfo, savePath: dir.path + "/out")
        leecher.connect(to: try #require(seeder.listenAddress), torrent: leech)
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        #expect(heard.withLockedValue { $0 }.isEmpty)
        await leecher.shutdown()
        await seeder.shutdown()
    }
}
