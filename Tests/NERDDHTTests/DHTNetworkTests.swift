import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import NERDDHT

/// Live NERD DHT nodes on loopback, in one process.
@Suite(.serialized) struct DHTNetworkTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    func makeNetwork(_ count: Int, stateFile: String? = nil) async throws -> [DHTNode] {
        var nodes: [DHTNode] = []
        for i in 0..<count {
            let bootstrap = nodes.isEmpty ? [] : [nodes[0].listenAddress!, nodes[nodes.count - 1].listenAddress!]
            let node = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), bootstrap: bootstrap,
                                                    stateFile: i == 0 ? stateFile : nil, loopbackOnly: true,
                                                    queryTimeout: .milliseconds(500)),
                               group: Self.group)
            try await node.start()
            nodes.append(node)
        }
        for node in nodes.dropFirst() { await node.bootstrap() }
        await nodes[0].bootstrap()
        return nodes
    }

    func shutdown(_ nodes: [DHTNode]) async { for node in nodes { await node.shutdown() } }

    @Test func announcedPeersAreFoundFromAnyNode() async throws {
        let nodes = try await makeNetwork(24)
        let infoHash = NodeID.random()
        let (_, accepted) = await nodes[5].announce(infoHash, port: 51413, terms: .dictionary([("price", .integer(800))]))
        #expect(accepted >= 1)
        for searcher in [nodes[0], nodes[17], nodes[23]] {
            let found = await searcher.getPeers(infoHash)
            #expect(found.peers == [DHTAddress(ip: [127, 0, 0, 1], port: 51413)])
            #expect(found.nodesQueried >= 1)
            #expect(found.terms.values.first.map { String(decoding: $0, as: UTF8.self) } == "d5:pricei800ee")
        }
        #expect(await nodes[3].getPeers(.random()).peers.isEmpty)
        let stats = await nodes[10].statistics()
        #expect(stats.nodes >= 8)
        await shutdown(nodes)
    }

    @Test func hostileDatagramsAreAnsweredOrDroppedAndTheNodeKeepsServing() async throws {
        let nodes = try await makeNetwork(3)
        let target = nodes[0].listenAddress!
        let probe = try await DatagramBootstrap(group: Self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Inbox()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let inbox = try await probe.pipeline.handler(type: Inbox.self).get()
        let cases: [(String, Bool)] = [
            ("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe", false),  // no transaction ID
            ("d1:ad2:idi1ee1:q4:ping1:t2:aa1:y1:qe", true),  // id of the wrong type
            ("d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:ab1:y1:qe", true),  // no info_hash
            ("d1:ad2:id20:abcdefghij0123456789e1:q6:frobla1:t2:ac1:y1:qe", true),  // unknown method
            ("d1:ad2:id20:abcdefghij01234567899:info_hash20:abcdefghij01234567894:porti1e5:token3:xyze1:q13:announce_peer1:t2:ad1:y1:qe", true),
            (String(repeating: "x", count: 5000), false), ("de", false), ("l", false),
        ]
        for (text, answered) in cases {
            inbox.clear()
            try await probe.writeAndFlush(AddressedEnvelope(remoteAddress: try target.socketAddress(), data: ByteBuffer(string: text)))
            try await Task.sleep(for: .milliseconds(150))
            let reply = inbox.first()
            #expect((reply != nil) == answered, "\(text.prefix(60))")
            if let reply { #expect(String(decoding: reply, as: UTF8.self).contains("1:y1:e"), "an error reply") }
        }
        // Still serving real queries.
        #expect(await nodes[1].getPeers(.random()).nodesQueried >= 1)
        try await probe.close()
        await shutdown(nodes)
    }

    /// A reply naming nodes no datagram can reach (an IPv6 node for an IPv4 socket, port 0,
    /// 0.0.0.0, multicast, broadcast) and peers of that kind: none is queried or returned, and
    /// the node keeps answering (a send to such an address used to close its socket).
    @Test func unreachableNodesInRepliesAreSkipped() async throws {
        let bad: [DHTNodeInfo] = [
            DHTNodeInfo(id: .random(), ip: [UInt8](repeating: 0, count: 15) + [1], port: 6881),
            DHTNodeInfo(id: .random(), ip: [127, 0, 0, 1], port: 0), DHTNodeInfo(id: .random(), ip: [0, 0, 0, 0], port: 6881),
            DHTNodeInfo(id: .random(), ip: [224, 0, 0, 1], port: 6881), DHTNodeInfo(id: .random(), ip: [255, 255, 255, 255], port: 6881),
        ]
        let liarID = NodeID.random()
        let liar = try await DatagramBootstrap(group: Self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(KRPCResponder { _ in Self.lie(about: bad, id: liarID) }) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let node = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), bootstrap: [DHTAddress(liar.localAddress!)!], loopbackOnly: true,
                                                queryTimeout: .milliseconds(300)), group: Self.group)
        try await node.start()
        let result = await node.getPeers(.random())
        #expect(result.peers.isEmpty, "\(result.peers)")
        let other = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), loopbackOnly: true, queryTimeout: .milliseconds(500)), group: Self.group)
        try await other.start()
        _ = try await other.query("ping", KRPCArguments(id: other.id), to: node.listenAddress!).get()
        try await liar.close()
        await other.shutdown()
        await node.shutdown()
    }

    /// A socket that closes under the node (SwiftNIO closes it on a send error it cannot
    /// recover from) is bound again on the same address, and the node answers again.
    @Test func aClosedSocketIsBoundAgain() async throws {
        let nodes = try await makeNetwork(2)
        let address = nodes[0].listenAddress!
        try await nodes[0].closeSocketAsIfItFailed().get()
        await #expect(throws: DHTError.self) { _ = try await nodes[1].query("ping", KRPCArguments(id: nodes[1].id), to: address).get() }
        // Bound again a second later; polled, for a slow machine.
        var answered = false
        for _ in 0..<20 where !answered {
            try await Task.sleep(for: .milliseconds(500))
            answered = (try? await nodes[1].query("ping", KRPCArguments(id: nodes[1].id), to: address).get()) != nil
        }
        #expect(answered)
        #expect(nodes[0].listenAddress == address)
        await shutdown(nodes)
    }

    /// A reply naming `nodes` and peers no datagram can reach.
    static func lie(about nodes: [DHTNodeInfo], id: NodeID) -> KRPCArguments {
        var arguments = KRPCArguments(id: id)
        arguments.nodes = nodes.filter { $0.ip.count == 4 }
        arguments.nodes6 = nodes.filter { $0.ip.count == 16 }
        arguments.token = [1, 2, 3]
        arguments.values = [[127, 0, 0, 1, 0, 0], [0, 0, 0, 0, 0x1A, 0xE1], [224, 0, 0, 1, 0x1A, 0xE1]]
        return arguments
    }

    /// A read-only node (BEP 43 `ro=1`) is answered but not added to the table; a normal
    /// one is.
    @Test func readOnlyNodesStayOutOfTables() async throws {
        let nodes = try await makeNetwork(1)
        let target = nodes[0].listenAddress!
        var configuration = DHTNode.Configuration(listen: ("127.0.0.1", 0), loopbackOnly: true, queryTimeout: .milliseconds(500))
        configuration.readOnly = true
        let visitor = DHTNode(configuration: configuration, group: Self.group)
        try await visitor.start()
        _ = try await visitor.query("ping", KRPCArguments(id: visitor.id), to: target).get()
        #expect(await nodes[0].statistics().nodes == 0)
        let regular = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), loopbackOnly: true), group: Self.group)
        try await regular.start()
        _ = try await regular.query("ping", KRPCArguments(id: regular.id), to: target).get()
        #expect(await nodes[0].statistics().nodes == 1)
        await visitor.shutdown()
        await regular.shutdown()
        await shutdown(nodes)
    }


    @Test func routingTableAndIDSurviveARestart() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("nerd-dht-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let nodes = try await makeNetwork(12, stateFile: file)
        let id = nodes[0].id
        let known = await nodes[0].statistics().nodes
        #expect(known >= 8)
        await shutdown(nodes)
        let again = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), stateFile: file, loopbackOnly: true), group: Self.group)
        #expect(again.id == id)
        #expect(await again.statistics().nodes == known, "no cold bootstrap needed")
        // A second node on the same state file meanwhile (a seed and a get on one host) takes
        // a fresh ID and leaves the file alone.
        let second = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), stateFile: file, loopbackOnly: true), group: Self.group)
        #expect(second.id != id)
        try await second.start()
        await second.shutdown()
        await again.shutdown()
        let third = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), stateFile: file, loopbackOnly: true), group: Self.group)
        #expect(third.id == id, "the lock went with the first node's shutdown, and the file still holds its ID")
        await third.shutdown()
        try? FileManager.default.removeItem(atPath: file + ".lock")
    }

    @Test func theLoopbackGuardRefusesOtherAddresses() async throws {
        let node = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), bootstrap: [DHTAddress("10.9.8.7:6881")!],
                                                loopbackOnly: true), group: Self.group)
        try await node.start()
        let result = await node.getPeers(.random())
        #expect(result.peers.isEmpty)
        await #expect(throws: DHTError.self) { try await node.query("ping", KRPCArguments(id: node.id), to: DHTAddress("10.9.8.7:6881")!).get() }
        await node.shutdown()
        let outside = DHTNode(configuration: .init(listen: ("0.0.0.0", 0), loopbackOnly: true), group: Self.group)
        await #expect(throws: DHTError.self) { try await outside.start() }
    }

    final class Inbox: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        private let lock = NSLock()
        private var packets: [[UInt8]] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
            lock.withLock { packets.append(bytes) }
        }
        func first() -> [UInt8]? { lock.withLock { packets.first } }
        func clear() { lock.withLock { packets = [] } }
    }
}

/// Nodes that reply to anything with a fixed `ip` (our external address as they see it).
@Suite(.serialized) struct ExternalAddressTests {

    @Test func agreedExternalAddressGivesABEP42ID() async throws {
        let group = DHTNetworkTests.group
        let external: [UInt8] = [124, 31, 75, 21]
        let node = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), loopbackOnly: true), group: group)
        try await node.start()
        #expect(!node.id.isSecure(for: external))
        var reporters: [Channel] = []
        // Three voters from three addresses (votes count by IP; all of 127/8 is loopback).
        for host in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
            let voterID = NodeID.random()
            let reporter = try await DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(KRPCResponder(yourAddress: external + [0x1A, 0xE1]) { _ in KRPCArguments(id: voterID) }) }
                }
                .bind(host: host, port: 0).get()
            reporters.append(reporter)
            _ = try await node.query("ping", KRPCArguments(id: node.id), to: DHTAddress(reporter.localAddress!)!).get()
        }
        #expect(node.id.isSecure(for: external), "three nodes agreed: the ID now follows BEP 42")
        #expect(await node.statistics().nodes == 3, "known nodes were kept")
        for reporter in reporters { try await reporter.close() }
        await node.shutdown()
    }
}

/// Peers are passed on as their replies arrive: a node that is slow to fail does not hold
/// back the peers another node already named.
@Suite struct DHTLookupStreamingTests {
    @Test func peersArriveBeforeTheLookupEnds() async throws {
        let loop = DHTNetworkTests.group.next()
        let fast = DHTNodeInfo(id: NodeID.random(), ip: [127, 0, 0, 1], port: 1001)
        let slow = DHTNodeInfo(id: NodeID.random(), ip: [127, 0, 0, 1], port: 1002)
        let seen = NIOLockedValueBox<[DHTAddress]>([])
        let lookup = try await loop.submit { () -> DHTLookup in
            let lookup = DHTLookup(target: NodeID.random(), getPeers: true, start: [fast, slow], bootstrap: [], loop: loop) { address in
                guard address == fast.address else {
                    return loop.scheduleTask(in: .seconds(2)) { throw DHTError(.timeout, "slow") }.futureResult
                }
                var reply = KRPCArguments(id: fast.id)
                reply.values = [[127, 0, 0, 1, 0x1A, 0xE1]]
                reply.token = [1]
                return loop.makeSucceededFuture(reply)
            }
            lookup.onPeer = { peer in seen.withLockedValue { $0.append(peer) } }
            return lookup
        }.get()
        let result = loop.flatSubmit { lookup.run() }
        try await Task.sleep(for: .milliseconds(500))
        #expect(seen.withLockedValue { $0 } == [DHTAddress("127.0.0.1:6881")!], "named before the slow node failed")
        let done = try await result.get()
        #expect(done.peers.count == 1)
    }
}

/// A lookup whose every reply names 150 new nodes (what a hostile or very full node can
/// send) keeps a bounded candidate list and stops at its query limit.
@Suite struct DHTLookupBoundsTests {
    @Test func floodOfNodesStaysBounded() async throws {
        let loop = DHTNetworkTests.group.next()
        let target = NodeID.random()
        let lookup = try await loop.submit { () -> DHTLookup in
            DHTLookup(target: target, getPeers: false, start: [DHTNodeInfo(id: NodeID.random(), ip: [127, 0, 0, 1], port: 999)],
                      bootstrap: [], loop: loop) { _ in
                var reply = KRPCArguments(id: NodeID.random())
                for _ in 0..<150 {
                    reply.nodes.append(DHTNodeInfo(id: NodeID.random(), ip: [127, UInt8.random(in: 1...255), UInt8.random(in: 0...255), 2],
                                                   port: UInt16.random(in: 1024...65535)))
                }
                return loop.makeSucceededFuture(reply)
            }
        }.get()
        let result = try await loop.flatSubmit { lookup.run() }.get()
        let held = try await loop.submit { lookup.candidateCount }.get()
        #expect(held <= DHTLookup.maxCandidates)
        #expect(result.nodesQueried <= DHTLookup.maxQueries)
        #expect(result.closest.count == 8)
    }
}

/// A scripted DHT node: answers every query with what `reply` makes of it (and, if given, the
/// `ip` field BEP 42 voters report).
final class KRPCResponder: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    let yourAddress: [UInt8]?
    let reply: (KRPCMessage) -> KRPCArguments

    init(yourAddress: [UInt8]? = nil, reply: @escaping (KRPCMessage) -> KRPCArguments) {
        self.yourAddress = yourAddress
        self.reply = reply
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let query = try? KRPCMessage(bytes: Array(envelope.data.readableBytesView)) else { return }
        let answer = KRPCMessage(transactionID: query.transactionID, body: .response(reply(query)), yourAddress: yourAddress)
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress,
                                                                data: ByteBuffer(bytes: answer.bytes))), promise: nil)
    }
}
