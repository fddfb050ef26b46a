import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a lock file beside a state file, so the state has one writer:
/// two runs of one torrent sharing a state folder (resume data), or two DHT nodes sharing a
/// state file (their node ID), would otherwise save over each other. Held until
/// ``release()`` or deinit.
package final class FileLock: Sendable {
    private let descriptor: Mutex<Int32>

    /// What taking the lock came to.
    package enum Outcome {
        case locked(FileLock)
        /// Another open file holds it: another process, or another user in this one.
        case heldElsewhere
        /// The lock file cannot be made (a read-only folder): the state may still be read,
        /// and nothing can be saved over it anyway.
        case unavailable
    }

    /// Tries once, without waiting, to lock `path` (created if missing, mode 600).
    package static func take(_ path: String) -> Outcome {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .unavailable }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return .heldElsewhere
        }
        return .locked(FileLock(fd))
    }

    private init(_ fd: Int32) {
        descriptor = Mutex(fd)
    }

    package func release() {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
