import Testing

@testable import NERDDHT

@Suite struct NodeIDTests {
    /// BEP 42's test vectors: IP, random byte, and the node ID prefix it must produce.
    @Test(arguments: [
        ([124, 31, 75, 21] as [UInt8], UInt8(1), "5fbfbf"),
        ([21, 75, 31, 124], 86, "5a3ce9"),
        ([65, 23, 51, 170], 22, "a5d432"),
        ([84, 124, 73, 14], 65, "1b0321"),
        ([43, 213, 53, 83], 90, "e56f6c"),
    ])
    func bep42Vectors(ip: [UInt8], random: UInt8, prefix: String) {
        let id = NodeID.secure(for: ip, random: random)
        // Only the top 21 bits are fixed: compare the first two bytes and the top 5 bits of the third.
        #expect(id.hex.prefix(4) == prefix.prefix(4))
        #expect(id.bytes[2] & 0xF8 == UInt8(prefix.suffix(2), radix: 16)! & 0xF8)
        #expect(id.bytes[19] == random)
        #expect(id.isSecure(for: ip))
        #expect(!NodeID.secure(for: [1, 2, 3, 4], random: random).isSecure(for: ip))
        #expect(NodeID.random().isSecure(for: [127, 0, 0, 1]), "loopback is exempt")
    }

    @Test func distanceAndPrefixes() {
        let a = NodeID([UInt8](repeating: 0, count: 20))!
        var bytes = [UInt8](repeating: 0, count: 20)
        bytes[0] = 0x10
        let b = NodeID(bytes)!
        #expect(a.commonPrefixLength(with: b) == 3)
        #expect(a.commonPrefixLength(with: a) == 160)
        #expect(a.distance(to: b) == b)
        #expect(a.distance(to: a) < a.distance(to: b))
        #expect(NodeID([1, 2, 3]) == nil)
    }

    @Test func routingTableSplitsAroundOwnIDAndKeepsKPerBucket() {
        let own = NodeID.random()
        var table = RoutingTable(ownID: own)
        for i in 0..<2000 {
            let node = DHTNodeInfo(id: .random(), ip: [127, 0, UInt8(i >> 8), UInt8(i & 0xFF)], port: 6881)
            table.heard(from: node, responded: true)
        }
        #expect(table.buckets.count > 5)
        #expect(table.buckets.allSatisfy { $0.nodes.count <= RoutingTable.k })
        // Far buckets fill first: about half of random IDs differ in the first bit.
        #expect(table.buckets[0].nodes.count == RoutingTable.k)
        let target = NodeID.random()
        let closest = table.closest(to: target)
        #expect(closest.count == RoutingTable.k)
        let all = table.allNodes.sorted { $0.id.distance(to: target) < $1.id.distance(to: target) }
        #expect(closest == Array(all.prefix(RoutingTable.k)))
        for bucket in 0..<table.buckets.count - 1 {
            #expect(table.bucketIndex(for: table.randomID(inBucket: bucket)) == bucket)
        }
    }

    @Test func badNodesGiveWayToReplacements() {
        var table = RoutingTable(ownID: NodeID([UInt8](repeating: 0, count: 20))!)
        func far(_ i: Int) -> DHTNodeInfo {
            var id = [UInt8](repeating: 0xFF, count: 20)
            id[19] = UInt8(i)
            return DHTNodeInfo(id: NodeID(id)!, ip: [127, 0, 0, UInt8(i)], port: 1)
        }
        // Fill the table until the far bucket is full and has split away from our own.
        for i in 0..<8 { table.heard(from: far(i), responded: true) }
        for i in 0..<8 {
            var id = [UInt8](repeating: 0, count: 20)
            id[19] = UInt8(i + 1)
            table.heard(from: DHTNodeInfo(id: NodeID(id)!, ip: [127, 0, 1, UInt8(i)], port: 1), responded: true)
        }
        let added = table.heard(from: far(100), responded: true)
        #expect(!added, "bucket 0 is full: the newcomer waits")
        table.failed(far(0).id)
        table.failed(far(0).id)
        #expect(table.allNodes.contains(far(100)), "the replacement took the bad node's place")
        #expect(!table.allNodes.contains(far(0)))
    }
}

@Suite struct BEP42TableTests {
    @Test func nodesBreakingBEP42AreMarkedAndComeLast() {
        var table = RoutingTable(ownID: .random())
        let ip: [UInt8] = [124, 31, 75, 21]
        let good = DHTNodeInfo(id: NodeID.secure(for: ip), ip: ip, port: 1)
        // An ID that is valid for some other address, so not for this one.
        let bad = DHTNodeInfo(id: NodeID.secure(for: [1, 2, 3, 4]), ip: [124, 31, 75, 22], port: 1)
        table.heard(from: good, responded: true)
        table.heard(from: bad, responded: true)
        table.heard(from: DHTNodeInfo(id: .random(), ip: [127, 0, 0, 1], port: 9), responded: true)
        #expect(table.nonCompliantCount == 1, "loopback is exempt; the mismatched public node is not")
        // Closest to the bad node's own ID, it still ranks after the compliant ones.
        #expect(table.closest(to: bad.id).last == bad)
    }
}
