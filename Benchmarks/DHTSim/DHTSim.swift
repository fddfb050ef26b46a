// A NERD DHT network in one process, on 127.0.0.1: builds N nodes (the real KRPC codec over
// real UDP sockets), measures lookup success, hops and messages with and without churn,
// memory per node, and the KRPC queries per second one node answers.
//
//     swift run -c release dht-sim [--nodes 1000] [--lookups 300] [--churn 0.2] [--timeout-ms 500] [--json]
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import NERDDHT
import NIOCore
import NIOPosix

struct Options {
    var nodes = 1000
    var lookups = 300
    var churn = 0.2
    var timeoutMs = 500
    var json = false
    var diagnose = false

    init(_ arguments: [String]) {
        var i = 0
        func next() -> String {
            i += 1
            guard i < arguments.count else { fatalError("missing value after \(arguments[i - 1])") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--nodes": nodes = max(10, Int(next()) ?? nodes)
            case "--lookups": lookups = max(1, Int(next()) ?? lookups)
            case "--churn": churn = min(0.9, max(0, Double(next()) ?? churn))
            case "--timeout-ms": timeoutMs = max(50, Int(next()) ?? timeoutMs)
            case "--json": json = true
            case "--diagnose": diagnose = true
            default: fatalError("unknown option \(arguments[i])")
            }
            i += 1
        }
    }
}

func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
    else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
}

/// One node per socket needs more descriptors than the usual soft limit of 1024.
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

struct LookupStats {
    var attempts = 0
    var successes = 0
    var hops: [Double] = []
    var messages: [Double] = []
    var seconds: [Double] = []

    var successRate: Double { attempts == 0 ? 0 : Double(successes) / Double(attempts) }

    func summary(_ name: String) -> [String: Any] {
        ["scenario": name, "lookups": attempts, "success_rate": successRate,
         "hops_median": percentile(hops, 0.5), "hops_mean": hops.reduce(0, +) / Double(max(1, hops.count)),
         "messages_median": percentile(messages, 0.5), "messages_p90": percentile(messages, 0.9),
         "seconds_median": percentile(seconds, 0.5)]
    }
}

/// Random (searcher, target) lookups, 16 at a time; success when the lookup's nearest answer
/// is the live node truly nearest the target.
func runLookups(_ nodes: [DHTNode], count: Int, diagnose: Bool = false) async -> LookupStats {
    var stats = LookupStats()
    let ids = nodes.map(\.id)
    var remaining = count
    while remaining > 0 {
        let batch = min(16, remaining)
        remaining -= batch
        let results = await withTaskGroup(of: (Bool, DHTNode.FindResult, Double).self) { group in
            for _ in 0..<batch {
                let searcher = nodes.randomElement()!
                let target = NodeID.random()
                let truth = ids.min { $0.distance(to: target) < $1.distance(to: target) }!
                group.addTask {
                    let start = Date()
                    let found = await searcher.findClosest(to: target)
                    // The searcher itself may be the nearest node: it never appears in its own answers.
                    let ok = found.closest.first?.id == truth || (searcher.id == truth)
                    if !ok, diagnose {
                        let ranked = ids.sorted { $0.distance(to: target) < $1.distance(to: target) }
                        let rank = found.closest.first.flatMap { f in ranked.firstIndex(of: f.id) } ?? -1
                        var knowers = 0
                        for node in nodes where await node.knownNodes().contains(where: { $0.id == truth }) { knowers += 1 }
                        let truthNode = nodes.first { $0.id == truth }!
                        let truthKnows = await truthNode.knownNodes().count
                        let again = await searcher.findClosest(to: target)
                        let stats = await searcher.statistics()
                        FileHandle.standardError.write(Data("  searcher \(searcher.listenAddress?.description ?? "?") knows \(stats.nodes), answered \(stats.queriesAnswered); retry: \(again.closest.count) answered, first is truth: \(again.closest.first?.id == truth)\n".utf8))
                        FileHandle.standardError.write(Data("miss: got rank \(rank), \(found.closest.count) answered, \(found.nodesQueried) queried; \(knowers) nodes know the nearest (which knows \(truthKnows)); cpl target/truth \(target.commonPrefixLength(with: truth)), target/2nd \(target.commonPrefixLength(with: ranked[1]))\n".utf8))
                    }
                    return (ok, found, Date().timeIntervalSince(start))
                }
            }
            var all: [(Bool, DHTNode.FindResult, Double)] = []
            for await result in group { all.append(result) }
            return all
        }
        for (ok, found, seconds) in results {
            stats.attempts += 1
            if ok { stats.successes += 1 }
            stats.hops.append(Double(found.hops))
            stats.messages.append(Double(found.nodesQueried))
            stats.seconds.append(seconds)
        }
    }
    return stats
}

/// Announces from some nodes, looks up from others. - Returns: the share of lookups that found the peer.
func announceAndFind(_ nodes: [DHTNode], count: Int) async -> Double {
    var found = 0
    for i in 0..<count {
        let infoHash = NodeID.random()
        let port = UInt16(10_000 + i)
        _ = await nodes.randomElement()!.announce(infoHash, port: port)
        let result = await nodes.randomElement()!.getPeers(infoHash)
        if result.peers.contains(where: { $0.port == port }) { found += 1 }
    }
    return Double(found) / Double(count)
}

/// KRPC `find_node` queries answered per second by one node, from one client socket with
/// 64 queries in flight.
final class QueryBlaster: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    var replies = 0
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { replies += 1 }
}

func queriesPerSecond(group: EventLoopGroup, seconds: Double) async throws -> Double {
    let server = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), loopbackOnly: true, maxQueriesPerSecondPerIP: .max),
                         group: MultiThreadedEventLoopGroup(numberOfThreads: 1))
    try await server.start()
    let blaster = QueryBlaster()
    let client = try await DatagramBootstrap(group: group)
        .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(blaster) } }
        .bind(host: "127.0.0.1", port: 0).get()
    let target = try SocketAddress(ipAddress: "127.0.0.1", port: Int(server.listenAddress!.port))
    var arguments = KRPCArguments(id: .random())
    arguments.target = .random()
    let start = Date()
    var sent = 0
    while Date().timeIntervalSince(start) < seconds {
        let answered = try await client.eventLoop.submit { blaster.replies }.get()
        while sent - answered < 64 {
            let message = KRPCMessage(transactionID: [UInt8(sent >> 8 & 0xFF), UInt8(sent & 0xFF)],
                                      body: .query(method: "find_node", arguments: arguments))
            client.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: message.bytes)), promise: nil)
            sent += 1
        }
        client.flush()
        try await Task.sleep(for: .microseconds(200))
    }
    let answered = try await client.eventLoop.submit { blaster.replies }.get()
    try await client.close()
    await server.shutdown()
    return Double(answered) / Date().timeIntervalSince(start)
}

@main
struct DHTSim {
    static func main() async throws {
        let options = Options(Array(CommandLine.arguments.dropFirst()))
        let began = Date()
        raiseDescriptorLimit()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let rssBefore = residentBytes()
        var nodes: [DHTNode] = []
        let timeout = TimeAmount.milliseconds(Int64(options.timeoutMs))
        for i in 0..<options.nodes {
            let bootstrap = nodes.isEmpty ? [] : [nodes[0].listenAddress!, nodes[Int.random(in: 0..<nodes.count)].listenAddress!]
            let node = DHTNode(configuration: .init(listen: ("127.0.0.1", 0), bootstrap: bootstrap, loopbackOnly: true,
                                                    queryTimeout: timeout, maxQueriesPerSecondPerIP: .max),
                               group: group, logger: { var l = Logger(label: "sim"); l.logLevel = options.diagnose ? .debug : .warning; return l }())
            try await node.start()
            nodes.append(node)
            if i % 50 == 49 || i == options.nodes - 1 {
                // Join in batches: each new node looks itself up, as a real node does on start.
                await withTaskGroup(of: Void.self) { g in
                    for node in nodes[(i / 50) * 50...i] { g.addTask { await node.bootstrap() } }
                }
            }
        }
        // One maintenance round once everyone has joined, as each node's 15-minute bucket
        // refresh does: a lookup in every bucket's range, so each part of the ID space is known.
        for chunk in stride(from: 0, to: nodes.count, by: 50) {
            await withTaskGroup(of: Void.self) { g in
                for node in nodes[chunk..<min(chunk + 50, nodes.count)] { g.addTask { await node.refreshAllBuckets() } }
            }
        }
        let built = Date()
        let rssAfter = residentBytes()
        if options.diagnose {
            var sparse = 0
            for (i, node) in nodes.enumerated() where await node.knownNodes().count < 8 {
                sparse += 1
                FileHandle.standardError.write(Data("sparse: node \(i) knows \(await node.knownNodes().count)\n".utf8))
            }
            FileHandle.standardError.write(Data("\(sparse) nodes know fewer than 8\n".utf8))
        }
        let buildSeconds = built.timeIntervalSince(began)
        var tableSizes: [Double] = []
        for node in nodes.prefix(100) { tableSizes.append(Double(await node.statistics().nodes)) }

        let stable = await runLookups(nodes, count: options.lookups, diagnose: options.diagnose)
        let peersFound = await announceAndFind(nodes, count: 50)

        let leaving = Int(Double(nodes.count) * options.churn)
        var alive = nodes.shuffled()
        let gone = alive.suffix(leaving)
        alive.removeLast(leaving)
        for node in gone { await node.shutdown() }
        let churned = await runLookups(alive, count: options.lookups)
        let peersFoundChurn = await announceAndFind(alive, count: 50)

        let qps = try await queriesPerSecond(group: group, seconds: 5)
        for node in alive { await node.shutdown() }
        try await group.shutdownGracefully()

        let perNode = Double(rssAfter - rssBefore) / Double(options.nodes)
        let expectedHops = log2(Double(options.nodes))
        let report: [String: Any] = [
            "nodes": options.nodes, "memory_per_node_bytes": Int(perNode), "table_size_median": percentile(tableSizes, 0.5),
            "kademlia_log2_n": expectedHops, "stable": stable.summary("0% churn"),
            "churn": churned.summary("\(Int(options.churn * 100))% churn"),
            "announce_found_rate": peersFound, "announce_found_rate_churn": peersFoundChurn,
            "queries_per_second_one_node": Int(qps),
        ]
        if options.json {
            let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "network built in %.1f s", buildSeconds))
            print("nodes: \(options.nodes), memory per node: \(Int(perNode / 1024)) KiB, routing table median \(percentile(tableSizes, 0.5)) nodes")
            print("log2(N) = \(String(format: "%.1f", expectedHops)) (Kademlia's bound on hops with b = 1)")
            for (name, s) in [("0% churn", stable), ("\(Int(options.churn * 100))% churn", churned)] {
                print(String(format: "%@: %d lookups, success %.1f%%, hops median %.0f mean %.2f, messages median %.0f p90 %.0f, %.0f ms median",
                             name, s.attempts, s.successRate * 100, percentile(s.hops, 0.5), s.hops.reduce(0, +) / Double(max(1, s.hops.count)),
                             percentile(s.messages, 0.5), percentile(s.messages, 0.9), percentile(s.seconds, 0.5) * 1000))
            }
            print(String(format: "announce then get_peers found the peer: %.0f%% (0%% churn), %.0f%% (churn)", peersFound * 100, peersFoundChurn * 100))
            print("one node answers \(Int(qps)) find_node queries per second (one client, 64 in flight)")
        }
    }
}
