// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "NERD",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "NERDCrypto", targets: ["NERDCrypto"]),
        .library(name: "NERDWire", targets: ["NERDWire"]),
        .executable(name: "nerd", targets: ["nerd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "NERDCrypto", dependencies: ["COpenSSL"]),
        .target(name: "NERDWire", dependencies: ["NERDCrypto"]),
        .executableTarget(
            name: "nerd",
            dependencies: [
                "NERDWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "NERDTestSupport", path: "Tests/NERDTestSupport"),
        .testTarget(name: "NERDCryptoTests", dependencies: ["NERDCrypto", "NERDTestSupport"]),
        .testTarget(name: "NERDWireTests", dependencies: ["NERDWire", "NERDTestSupport"]),
        .testTarget(name: "nerdTests", dependencies: ["NERDWire", "NERDTestSupport"]),
        .testTarget(name: "InteropTests", dependencies: ["NERDWire", "NERDTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
