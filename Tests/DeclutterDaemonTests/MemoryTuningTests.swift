@testable import DeclutterDaemon
import Testing

@Suite("Memory tuning")
struct MemoryTuningTests {
    #if canImport(Glibc)
    @Test("glibc takes the trim threshold serve sets")
    func glibcTakesTheTrimThreshold() {
        #expect(MemoryTuning.keepFreedHeapForReuse())
    }
    #endif
}
