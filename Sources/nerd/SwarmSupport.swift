import ArgumentParser
import Foundation
import NERDDHT
import NERDNode
import NERDSwarm
import NERDWire

/// Reads and parses a .torrent, refusing v2-only torrents for transfer.
func loadMetainfo(_ path: String) throws -> Metainfo {
    do throws(WireError) {
        let metainfo = try Metainfo(bytes: try readFile(path, limit: MetainfoLimits.default.bencode.maxInputSize))
        return metainfo
    } catch {
        throw fail(error)
    }
}

/// v2-only torrents cannot be transferred yet; say so before touching the disk or network.
func requireTransferable(_ metainfo: Metainfo) throws {
    if metainfo.infoHashes.v1 == nil {
        throw failure(SwarmError(.unsupportedTorrent, "v2-only transfer not supported yet (needs the BEP 52 hash messages)"))
    }
}

/// Parses a magnet link, refusing v2-only ones for transfer.
func parseMagnet(_ text: String) throws -> MagnetURI {
    let magnet: MagnetURI
    do throws(WireError) { magnet = try MagnetURI(parsing: text) } catch { throw fail(error) }
    if magnet.infoHashes.v1 == nil {
        throw failure(SwarmError(.unsupportedTorrent, "v2-only magnet links are not supported yet (no btih hash)"))
    }
    return magnet
}

func parsePeers(_ texts: [String]) throws -> [PeerAddress] {
    try texts.map { text in
        guard let address = PeerAddress(text), address.port > 0 else {
            throw ValidationError("--peer must be HOST:PORT with a port from 1 to 65535, got \(text)")
        }
        return address
    }
}

enum NERDCLI {
    /// - Parameters:
    ///   - ownTrackers: whether to announce to the trackers the torrent or magnet names.
    ///   - trackers: more trackers to announce to, as one more tier.
    ///   - dht: DHT settings; `nil` runs no DHT node.
    ///   - encryption: MSE/PE policy for peer connections.
    ///   - suggestMode: BEP 6 suggestions to send.
    ///   - listenPortAttempts: ports tried upward from the listen port while taken.
    static func makeNode(listen: String?, stateDir: String?, ownTrackers: Bool, trackers: [String], dht: DHTOptions?,
                         encryption: EncryptionPolicy = .enabled, suggestMode: SuggestMode = .none,
                         listenPortAttempts: Int = 1, maxPeersPerTorrent: Int = 50, maxConnections: Int = 500) throws -> Node {
        var listenAddress: PeerAddress?
        if let listen {
            guard var parsed = PeerAddress(listen) else { throw ValidationError("--listen must be HOST:PORT, got \(listen)") }
            // Under the loopback-only guard, "all interfaces" means loopback.
            if LoopbackGuardSetting.fromEnvironment, parsed.host == "0.0.0.0" || parsed.host == "::" {
                parsed.host = "127.0.0.1"
            }
            listenAddress = parsed
        }
        let state = stateDir ?? defaultStateDirectory()
        if let state { warnIfUnwritable(state) }
        let dhtConfiguration = try dht.map { options in
            try options.configuration(defaultHost: listenAddress?.host ?? "0.0.0.0", stateFile: state.map { $0 + "/dht.state" })
        }
        var configuration = Node.Configuration(listen: listenAddress, stateDirectory: state, useTrackers: ownTrackers,
                                               extraTrackers: trackers, dht: dhtConfiguration, encryption: encryption)
        configuration.suggestMode = suggestMode
        configuration.listenPortAttempts = listenPortAttempts
        configuration.maxPeersPerTorrent = maxPeersPerTorrent
        configuration.maxConnections = maxConnections
        return Node(configuration: configuration)
    }
}

/// Says at the start, once, when resume data cannot be kept in `directory` (read-only, no
/// permission, a file in the way): the transfer still runs, but an interrupted one starts
/// over with a full recheck, which an operator should know before rather than after.
func warnIfUnwritable(_ directory: String) {
    let probe = directory + "/.nerd-write-check-\(getpid())"
    // The folder's own failure says why (read-only file system), not the probe's.
    let reason = makeFolders(directory)
    let fd = open(probe, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
    guard fd < 0 else {
        close(fd)
        unlink(probe)
        return
    }
    let why = reason ?? String(cString: strerror(errno))
    printToStandardError("warning: resume data cannot be saved in \(directory) (\(why)); "
                         + "an interrupted transfer will recheck its data from the start")
}

/// `$XDG_DATA_HOME/nerd/state`, else `~/.local/share/nerd/state`.
/// The default resume-data folder, created; nil (with a warning) when the user has no data
/// folder, in which case the transfer runs without resume data.
func defaultStateDirectory() -> String? {
    do {
        let dir = try userDataDirectory() + "/nerd/state"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    } catch {
        printToStandardError("warning: \(error); no resume data is kept (give --state-dir to keep it)")
        return nil
    }
}

/// The user's data folder as the XDG base directory spec gives it: `$XDG_DATA_HOME` when it
/// is an absolute path (the spec says to ignore a relative one), else `$HOME/.local/share`.
/// - Throws: ``NoDataDirectory`` when neither names an absolute folder: wallet keys or resume
///   data must not land in a shared temporary folder or the current one.
func userDataDirectory() throws(NoDataDirectory) -> String {
    let env = ProcessInfo.processInfo.environment
    if let xdg = env["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg }
    guard let home = env["HOME"], home.hasPrefix("/"), home != "/" else {
        throw NoDataDirectory()
    }
    return home + "/.local/share"
}

struct NoDataDirectory: Error, CustomStringConvertible {
    var description: String { "neither HOME nor XDG_DATA_HOME names an absolute folder" }
}

/// Prints a swarm, wire or DHT error as `<kind>: <reason>` and turns it into exit status 1.
func failure(_ error: Error) -> Error {
    if let error = error as? WireError { return fail(error) }
    guard let line = failureLine(error) else { return error }
    printToStandardError(line)
    return ExitCode(1)
}

/// `<error-kind>: <reason>` for the errors `failure(_:)` reports (Docs/errors.md).
func failureLine(_ error: Error) -> String? {
    switch error {
    case let error as SwarmError: "\(error.code.rawValue): \(error.reason)"
    case let error as WireError: "\(error.code.rawValue): \(error.reason)"
    case let error as DHTError: "\(error.code.rawValue): \(error.message)"
    default: nil
    }
}
