#if canImport(Glibc)
import Glibc
#endif

/// How the process uses glibc's allocator.
public enum MemoryTuning {
    /// glibc hands the top of a thread's heap back to the kernel (madvise) as soon as more than 128 KiB of it
    /// is free; SQLite frees a little memory at every savepoint the group commit opens and releases, so under
    /// load the writer's heap was given back and faulted in again hundreds of times a second (a TLB shootdown on
    /// every core each time: a tenth of the daemon's CPU in the ingest benchmark's profile). Above this many free
    /// bytes it is still given back; a burst can leave the process that much larger.
    static let trimThreshold: Int32 = 64 * 1024 * 1024

    /// Called once by `serve`, before the daemon starts its threads. True when glibc took the setting.
    @discardableResult
    public static func keepFreedHeapForReuse() -> Bool {
        #if canImport(Glibc)
        // mallopt(3) is in <malloc.h>, which Swift's Glibc module leaves out: found by name, called as C.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let trimThresholdParameter: Int32 = -1  // M_TRIM_THRESHOLD
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: Mallopt.self)(trimThresholdParameter, trimThreshold) == 1
        #else
        return false
        #endif
    }
}
