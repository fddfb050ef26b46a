import Foundation
import NERDSwarm
import NERDTestSupport
import NERDWire
import NIOCore
import NIOPosix
import Testing

/// NERD to NERD over loopback TCP under each pair of encryption policies (MSE/PE).
@Suite(.serialized) struct EncryptedTransferTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var leecher: EncryptionPolicy
        var seeder: EncryptionPolicy
        var expected: ConnectionEncryption
        var testDescription: String { "\(leecher) dials \(seeder): \(expected)" }
    }

    static let cases: [Case] = [
        // Encrypted handshake, plaintext chosen (libtorrent's defaults on both ends).
        Case(leecher: .enabled, seeder: .enabled, expected: .plaintext),
        Case(leecher: .forced, seeder: .enabled, expected: .rc4),
        Case(leecher: .enabled, seeder: .forced, expected: .rc4),
        Case(leecher: .forced, seeder: .forced, expected: .rc4),
        Case(leecher: .disabled, seeder: .enabled, expected: .none),
        // The seeder drops the encrypted attempt; the leecher's next dial is plain.
        Case(leecher: .enabled, seeder: .disabled, expected: .none),
    ]

    static func session(_ dir: TemporaryDirectory, _ policy: EncryptionPolicy, state: String? = nil) -> SwarmSession {
        var configuration = SwarmSession.Configuration(listen: PeerAddress("127.0.0.1:0"), loopbackOnly: true,
                                                       stateDirectory: state.map { dir.path + "/" + $0 })
        configuration.encryption = policy
        return SwarmSession(configuration: configuration)
    }

    @Test(arguments: cases)
    func transferUnderPolicies(_ c: Case) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = Self.session(dir, c.seeder)
        let leecher = Self.session(dir, c.leecher, state: "state")
        let leech = try await SwarmTransferTests.connectPair(seeder, leecher, dir, metainfo).leech
        #expect(try await SwarmTransferTests.complete(leech, within: 30))
        let status = try await leech.status()
        #expect(status.peers.map(\.encryption) == [c.expected])
        await leecher.shutdown()
        await seeder.shutdown()
        #expect(SwarmTransferTests.sameFiles(dir.path + "/seed", dir.path + "/out", metainfo))
    }

    /// Forced on one side and disabled on the other never connect, and nothing hangs.
    @Test func forcedAndDisabledNeverConnect() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let metainfo = try SwarmTransferTests.makeContent(dir, version: .v1)
        let seeder = Self.session(dir, .disabled)
        let leecher = Self.session(dir, .forced, state: "state")
        let leech = try await SwarmTransferTests.connectPair(seeder, leecher, dir, metainfo).leech
        #expect(try await !SwarmTransferTests.complete(leech, within: 4))
        #expect(try await leech.status().connectedPeers == 0)
        await leecher.shutdown()
        await seeder.shutdown()
    }
}
