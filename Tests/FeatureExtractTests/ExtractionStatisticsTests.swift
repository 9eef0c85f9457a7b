import FeatureExtract
import Foundation
import TestSupport
import Testing

@testable import FeatureStore

@Suite("extract-features stores each complete teacher's statistics", .serialized)
struct ExtractionStatisticsTests {
    @Test("the run that completes a teacher stores them; a rerun of a cache made without them adds them, extracting nothing")
    func statisticsOnCompletionAndRerun() throws {
        let (dir, manifest, out) = try ExtractionTests.tinyClipManifest("stats")
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = try ExtractionFixtures.config(.video, manifest: manifest, dataRoot: Fixtures.url(""), out: out)
        let first = try Extractor(config: config).run { _ in }
        #expect(first.rowsWritten == 1)
        let stored = try #require(try FeatureStoreReader(at: out).statistics(teacher: "video"))
        #expect(first.statisticsWritten == ["video": stored] && stored.rows == 1)

        let again = try Extractor(config: config).run { _ in }
        #expect(again.rowsWritten == 0 && again.statisticsWritten.isEmpty, "already there: nothing to add")

        // A cache written before statistics existed: the same command adds them and extracts nothing.
        do {
            let group = try H5Object.openFile(at: out, writable: true).openGroup("teachers").openGroup("video")
            for name in [CacheNames.featureMean, CacheNames.featureStd, CacheNames.featureStatsRows] { try group.removeAttribute(name) }
            try group.flush()
        }
        #expect(try FeatureStoreReader(at: out).statistics(teacher: "video") == nil)
        let rerun = try Extractor(config: config).run { _ in }
        #expect(rerun.rowsWritten == 0)
        #expect(rerun.statisticsWritten == ["video": stored])
        #expect(try FeatureStoreReader(at: out).statistics(teacher: "video") == stored)
    }
}
