import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on `<resume file>.lock`, so one torrent's resume data has one writer:
/// two runs of the same torrent with the same state folder (two `nerd get`s, or a get and a
/// seed) would otherwise save over each other. Held until ``release()`` or deinit.
final class ResumeLock: Sendable {
    private let descriptor: NIOLockedValueBox<Int32>

    /// What taking the lock came to.
    enum Outcome {
        case locked(ResumeLock)
        /// Another open file holds it: another process, or another session of this one.
        case heldElsewhere
        /// The lock file cannot be made (a read-only state folder): resume data may still be
        /// read, and nothing can be saved over it anyway.
        case unavailable
    }

    static func take(resumePath: String) -> Outcome {
        let fd = open(resumePath + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .unavailable }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return .heldElsewhere
        }
        return .locked(ResumeLock(fd))
    }

    private init(_ fd: Int32) {
        descriptor = NIOLockedValueBox(fd)
    }

    func release() {
        descriptor.withLockedValue { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
