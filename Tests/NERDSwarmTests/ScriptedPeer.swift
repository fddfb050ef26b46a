import Foundation
import NERDSwarm
import NERDWire
import NIOCore

/// A peer played by the test over a blocking loopback TCP socket, message by message, to see
/// exactly what a session sends and how it answers. Every read has a timeout.
final class ScriptedPeer {
    private let fd: Int32

    private init(fd: Int32) {
        self.fd = fd
        setTimeout(milliseconds: 5000)
    }

    /// How long a read waits for the next byte.
    func setTimeout(milliseconds: Int) {
        var timeout = timeval(tv_sec: milliseconds / 1000, tv_usec: __suseconds_t(milliseconds % 1000 * 1000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Dials `address` (IPv4 loopback).
    static func connect(to address: PeerAddress) -> ScriptedPeer? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(address.port).bigEndian
        addr.sin_addr.s_addr = inet_addr(address.host)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return ScriptedPeer(fd: fd)
    }

    /// A listening socket on 127.0.0.1 and its port; accept with ``accept(on:)``.
    static func listen() -> (fd: Int32, port: Int)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && Glibc.listen(fd, 4) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            return nil
        }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    /// The next connection on a socket from ``listen()``, waiting at most 10 s.
    static func accept(on listener: Int32) -> ScriptedPeer? {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 10_000) == 1 else { return nil }
        let fd = Glibc.accept(listener, nil, nil)
        return fd >= 0 ? ScriptedPeer(fd: fd) : nil
    }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends a message without a variable payload (not bitfield, piece or extended).
    func send(_ message: PeerMessage) {
        var buffer = ByteBuffer()
        message.writeHeader(into: &buffer)
        send(Array(buffer.readableBytesView))
    }

    /// Exactly `count` bytes, or `nil` on timeout or close.
    func receive(count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            guard n > 0 else { return nil }
            got += n
        }
        return out
    }

    /// Reads and discards until the other side closes (`true`) or nothing arrives for the
    /// socket timeout (`false`).
    func awaitClose() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { return true }
            if n < 0 { return errno == ECONNRESET }
        }
    }

    func receiveHandshake() -> Handshake? {
        receive(count: Handshake.length).flatMap { try? Handshake(bytes: $0) }
    }

    /// The next message, or `nil` on timeout, close or a malformed message.
    func receiveMessage() -> PeerMessage? {
        guard let prefix = receive(count: 4) else { return nil }
        let length = Int(prefix.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) })
        guard length <= 1 << 20, let body = receive(count: length) else { return nil }
        return try? PeerMessage.parse(ByteBuffer(bytes: body))
    }

    /// Messages until one satisfies `stop` (included) or none arrives for the socket timeout.
    func receive(until stop: (PeerMessage) -> Bool) -> [PeerMessage] {
        var seen: [PeerMessage] = []
        while let message = receiveMessage() {
            seen.append(message)
            if stop(message) { break }
        }
        return seen
    }
}
