import DeclutterStore
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

@Suite("Store metrics")
struct StoreMetricsTests {
    @Test("two scrapes read in one order and recorded in the other count each commit once")
    func outOfOrderScrapesCountOnce() throws {
        let metrics = DaemonMetrics()
        metrics.record(WriteTotals(commits: 150, writes: 1500), synchronous: 2)  // the later reading, recorded first
        metrics.record(WriteTotals(commits: 100, writes: 1000), synchronous: 2)  // the earlier one, recorded late
        metrics.record(WriteTotals(commits: 160, writes: 1600), synchronous: 2)
        let text = metrics.exposition()
        #expect(text.contains("declutterd_store_commits_total 160"), "\(text)")
        #expect(text.contains("declutterd_store_writes_total 1600"))
        #expect(text.contains("declutterd_store_synchronous 2"))
    }
}
