#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for a node that moves data in large buffers.
///
/// Socket reads land in buffers of up to 1 MiB. With glibc's defaults such a buffer may be
/// served by a fresh `mmap` and returned with `munmap` on every read, so each one costs page
/// faults and zeroing; whether that happens depends on glibc's adaptive threshold, which made
/// transfer speed vary by 2× between runs. Keeping buffers up to 8 MiB on the heap, and
/// trimming the heap only past 64 MiB of free space, makes memory reuse predictable.
enum MemoryTuning {
    static func apply() {
        #if canImport(Glibc)
        _ = glibcMallopt(mmapThreshold, 8 << 20)
        _ = glibcMallopt(trimThreshold, 64 << 20)
        #endif
    }

    #if canImport(Glibc)
    // <malloc.h> is not part of the Glibc module; these are its documented values.
    private static let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD
    private static let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
    #endif
}

#if canImport(Glibc)
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
