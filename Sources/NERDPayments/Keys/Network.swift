/// Which BSV chain a key or address belongs to; only the version bytes differ.
public enum Network: String, Sendable, CaseIterable, Codable {
    case mainnet
    case testnet

    /// Version byte of a P2PKH address: 0x00 (`1...`) or 0x6f (`m...`/`n...`).
    public var p2pkhVersion: UInt8 { self == .mainnet ? 0x00 : 0x6f }
    /// Version byte of a P2SH address (recognised when parsing; BSV no longer creates P2SH).
    public var p2shVersion: UInt8 { self == .mainnet ? 0x05 : 0xc4 }
    /// Version byte of a WIF private key: 0x80 (`5`/`K`/`L`) or 0xef (`9`/`c`).
    public var wifVersion: UInt8 { self == .mainnet ? 0x80 : 0xef }
    /// BIP 32 version bytes of an extended private key (`xprv` / `tprv`).
    public var xprvVersion: UInt32 { self == .mainnet ? 0x0488_ADE4 : 0x0435_8394 }
    /// BIP 32 version bytes of an extended public key (`xpub` / `tpub`).
    public var xpubVersion: UInt32 { self == .mainnet ? 0x0488_B21E : 0x0435_87CF }
}
