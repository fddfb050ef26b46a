// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "NERD",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "NERDCrypto", targets: ["NERDCrypto"]),
        .library(name: "NERDWire", targets: ["NERDWire"]),
        .library(name: "NERDSwarm", targets: ["NERDSwarm"]),
        .library(name: "NERDTracker", targets: ["NERDTracker"]),
        .library(name: "NERDDHT", targets: ["NERDDHT"]),
        .library(name: "NERDPayments", targets: ["NERDPayments"]),
        .library(name: "NERDNode", targets: ["NERDNode"]),
        .executable(name: "nerd", targets: ["nerd"]),
    ],
    traits: [
        .trait(
            name: "Secp256k1",
            description: "Sign and verify with libsecp256k1 (Debian libsecp256k1-dev), about 10x faster than OpenSSL"
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CSecp256k1",
            pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]
        ),
        .target(
            name: "NERDCrypto",
            dependencies: ["COpenSSL", .target(name: "CSecp256k1", condition: .when(traits: ["Secp256k1"]))]
        ),
        .target(name: "NERDWire", dependencies: ["NERDCrypto", .product(name: "NIOCore", package: "swift-nio")]),
        .target(
            name: "NERDSwarm",
            dependencies: [
                "NERDWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "NERDTracker",
            dependencies: [
                "NERDWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "NERDDHT",
            dependencies: [
                "NERDWire", "NERDCrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "NERDPayments",
            dependencies: [
                "NERDCrypto",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "NERDNode",
            dependencies: [
                "NERDWire", "NERDSwarm", "NERDTracker", "NERDDHT",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "nerd",
            dependencies: [
                "NERDWire",
                "NERDSwarm",
                "NERDNode",
                "NERDTracker",
                "NERDDHT",
                "NERDPayments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Announce load generator for Benchmarks/tracker.py (not a library product).
        .executableTarget(name: "tracker-load", path: "Benchmarks/TrackerLoad"),
        // DHT simulation: many NERD nodes in one process (Benchmarks/dht-sim.sh).
        .executableTarget(
            name: "dht-sim",
            dependencies: ["NERDDHT", .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/DHTSim"
        ),
        // Signing and sighash throughput for Benchmarks/bsv.py.
        .executableTarget(name: "bsv-bench", dependencies: ["NERDCrypto", "NERDPayments"], path: "Benchmarks/BSVBench"),
        .target(name: "NERDTestSupport", path: "Tests/NERDTestSupport"),
        .testTarget(name: "NERDCryptoTests", dependencies: ["NERDCrypto", "NERDTestSupport"]),
        .testTarget(
            name: "NERDWireTests",
            dependencies: ["NERDWire", "NERDTestSupport", .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(
            name: "NERDSwarmTests",
            dependencies: [
                "NERDSwarm", "NERDTestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "NERDTrackerTests",
            dependencies: [
                "NERDTracker", "NERDTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPCompression", package: "swift-nio-extras"),
            ]
        ),
        .testTarget(
            name: "NERDDHTTests",
            dependencies: ["NERDDHT", "NERDTestSupport", .product(name: "NIOPosix", package: "swift-nio")]
        ),
        .testTarget(
            name: "NERDPaymentsTests",
            dependencies: [
                "NERDPayments", "NERDCrypto", "NERDTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "NERDNodeTests", dependencies: ["NERDNode", "NERDTestSupport"]),
        .testTarget(name: "nerdTests", dependencies: ["NERDWire", "NERDTracker", "NERDTestSupport"]),
        .testTarget(name: "InteropTests", dependencies: ["NERDWire", "NERDTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
