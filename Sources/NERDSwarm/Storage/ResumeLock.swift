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

    /// - Returns: nil when another open file (another process, or another torrent of this
    ///   one) holds the lock, or the lock file cannot be made.
    init?(resumePath: String) {
        let fd = open(resumePath + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
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
