import Glibc

/// The few socket calls the load generator makes, all non-blocking.
enum Sockets {
    /// A UDP socket connected to `target`, so plain send/recv work and the kernel drops
    /// datagrams from anyone else.
    static func udp(to target: LoadOptions.Target) throws(LoadError) -> Int32 {
        let fd = socket(
            AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw LoadError.system("socket") }
        // Deep buffers: a burst of W replies must not be dropped while we are busy sending.
        setOption(fd, SOL_SOCKET, SO_RCVBUF, 4 << 20)
        setOption(fd, SOL_SOCKET, SO_SNDBUF, 4 << 20)
        var address = target.socketAddress
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = LoadError.system("connect udp \(target.text)")
            close(fd)
            throw error
        }
        return fd
    }

    /// Starts a TCP connection to `target`.
    /// - Returns: the socket and whether the connection is already up (else wait for POLLOUT).
    static func tcp(to target: LoadOptions.Target) -> (fd: Int32, connected: Bool)? {
        let fd = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
        var address = target.socketAddress
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if result == 0 { return (fd, true) }
        if errno == EINPROGRESS { return (fd, false) }
        close(fd)
        return nil
    }

    /// The outcome of a non-blocking connect, once the socket is writable (0 = connected).
    static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }

    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) {
        var value = value
        _ = setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Whether a failed call only means "not now".
    static var wouldBlock: Bool { errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR }
}
