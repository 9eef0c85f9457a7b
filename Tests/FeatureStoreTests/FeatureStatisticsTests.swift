import Foundation
import TestSupport
import Testing

@testable import FeatureStore

/// Per-channel mean and population standard deviation of `teacher` over `rows`, read through the public reader
/// (dequantised values for int8) and accumulated in Double, the textbook two passes: the oracle of these tests.
func directStatistics(_ reader: FeatureStoreReader, teacher: String, rows: [Int]) throws -> (mean: [Double], std: [Double]) {
    let spec = try reader.teacher(teacher)
    let width = spec.embedDim
    var values: [[Float]] = []
    var buffer = [Float](repeating: 0, count: spec.rowElements)
    for row in rows {
        try reader.read(row: row, teacher: teacher, into: &buffer)
        values.append(buffer)
    }
    let count = Double(rows.count * spec.tokenCount)
    var mean = [Double](repeating: 0, count: width), squares = mean
    for row in values { for (i, x) in row.enumerated() { mean[i % width] += Double(x) } }
    mean = mean.map { $0 / count }
    for row in values {
        for (i, x) in row.enumerated() {
            let d = Double(x) - mean[i % width]
            squares[i % width] += d * d
        }
    }
    return (mean, squares.map { ($0 / count).squareRoot() })
}

/// Stored float32 statistics equal the Double oracle rounded to float32, give or take one float32 step.
func expectMatches(
    _ stored: FeatureStatistics, _ direct: (mean: [Double], std: [Double]),
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(stored.mean.count == direct.mean.count && stored.std.count == direct.std.count, sourceLocation: sourceLocation)
    for c in direct.mean.indices {
        let (m, s) = (direct.mean[c], direct.std[c])
        #expect(
            abs(Double(stored.mean[c]) - m) <= Double(Float(m).ulp), "mean of channel \(c): \(stored.mean[c]) vs \(m)", sourceLocation: sourceLocation
        )
        #expect(
            abs(Double(stored.std[c]) - s) <= Double(Float(s).ulp), "std of channel \(c): \(stored.std[c]) vs \(s)", sourceLocation: sourceLocation)
    }
}

/// Deletes a teacher's statistics, as in a cache written before they existed.
func removeStatistics(_ url: URL, teacher: String) throws {
    try CacheSurgery.edit(url, "/teachers/\(teacher)") { group in
        for name in [CacheNames.featureMean, CacheNames.featureStd, CacheNames.featureStatsRows] { try group.removeAttribute(name) }
    }
}

@Suite("per-teacher feature statistics")
struct FeatureStatisticsTests {
    @Test("a completed teacher's statistics equal a Double computation over every token of its done rows", arguments: FeatureDType.allCases)
    func statisticsOfCompleteTeacher(dtype: FeatureDType) throws {
        // The oracle reads what training reads (int8: codes times scales), so statistics of the raw codes would fail.
        let teacher = TestCache.teacher("video", dtype: dtype)
        let url = try TestCache.temporaryFile("stats-\(dtype.rawValue)")
        let writer = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        try TestCache.fill(writer, [teacher])
        try writer.close()

        let reader = try FeatureStoreReader(at: url)
        let done = try reader.doneFlags(teacher: "video")
        let rows = done.indices.filter { done[$0] }
        #expect(rows.count == 8, "4 ok videos of 2 views (video 2 failed)")
        let stored = try #require(try reader.statistics(teacher: "video"))
        #expect(stored.rows == 8)
        #expect(writer.statisticsWritten["video"] == stored)
        expectMatches(stored, try directStatistics(reader, teacher: "video", rows: rows))
        #expect(stored.std.allSatisfy { $0 > 1 }, "random features of scale 3 spread by more than 1: \(stored.std)")
    }

    @Test("a teacher that is not complete gets none; the run that completes it stores what an uninterrupted run stores")
    func statisticsAfterResume() throws {
        let teachers = [TestCache.teacher("image"), TestCache.teacher("video", dtype: .int8, width: 5)]
        let whole = try CacheSurgery.finished("stats-whole", teachers: teachers)

        let url = try TestCache.temporaryFile("stats-resumed")
        let first = try FeatureStoreWriter(at: url, request: TestCache.request(teachers), commitEvery: 1)
        try TestCache.fill(first, teachers, videos: [0, 1])
        try first.close()
        #expect(first.statisticsWritten.isEmpty)
        #expect(try FeatureStoreReader(at: url).statistics(teacher: "image") == nil)

        let second = try FeatureStoreWriter(at: url, request: TestCache.request(teachers))
        try TestCache.fill(second, teachers)
        try second.close()
        #expect(Set(second.statisticsWritten.keys) == ["image", "video"])
        let (resumed, reference) = (try FeatureStoreReader(at: url), try FeatureStoreReader(at: whole))
        for name in ["image", "video"] {
            let stats = try #require(try resumed.statistics(teacher: name))
            #expect(stats == (try reference.statistics(teacher: name)), "\(name): same rows, same bits")
            #expect(stats.rows == 8)
        }
    }

    @Test("only rows whose done flag is set count")
    func onlyDoneRowsCount() throws {
        let url = try CacheSurgery.finished("stats-done")
        let full = try #require(try FeatureStoreReader(at: url).statistics(teacher: "image"))
        // Rows 0 and 9 lose their flags: their bytes are still there, but no longer vouched for.
        try CacheSurgery.edit(url, "/teachers/image") { group in
            let done = try group.openDataset("done")
            for row in [0, 9] { try done.write(rows: row..<row + 1, [UInt8(0)]) }
        }
        let cache = try CacheFile(at: url, writable: false)
        defer { cache.close() }
        let partial = try #require(try cache.computeStatistics(try cache.teacher("image")))
        #expect(partial.rows == 6)
        #expect(partial != full)
        let reader = try FeatureStoreReader(at: url)
        expectMatches(partial, try directStatistics(reader, teacher: "image", rows: [1, 2, 3, 6, 7, 8]))
        #expect(try !cache.isComplete(try cache.teacher("image")))
    }

    @Test("rerunning the command of a complete cache without statistics adds them and writes no row")
    func rerunAddsStatistics() throws {
        let teacher = TestCache.teacher("image")
        let url = try CacheSurgery.finished("stats-rerun", teachers: [teacher])
        let expected = try #require(try FeatureStoreReader(at: url).statistics(teacher: "image"))
        try removeStatistics(url, teacher: "image")
        #expect(try FeatureStoreReader(at: url).statistics(teacher: "image") == nil)

        let rerun = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        #expect(rerun.remainingVideos().isEmpty)
        try rerun.close()
        #expect(rerun.statisticsWritten == ["image": expected])
        #expect(try FeatureStoreReader(at: url).statistics(teacher: "image") == expected)

        // A second rerun finds them and leaves the file alone.
        let again = try FeatureStoreWriter(at: url, request: TestCache.request([teacher]))
        try again.close()
        #expect(again.statisticsWritten.isEmpty)
    }

    @Test("shard files get none; the merge stores those of a single-process run")
    func mergeComputesStatistics() throws {
        let teachers = [TestCache.teacher("image"), TestCache.teacher("video", dtype: .int8)]
        let whole = try CacheSurgery.finished("stats-merge-whole", teachers: teachers)
        let folder = try Fixtures.temporaryDirectory("featurestore-stats-shards")
        var parts: [URL] = []
        for index in 0..<2 {
            let url = folder.appendingPathComponent("part\(index).h5")
            var request = TestCache.request(teachers)
            request.shard = try Shard(index: index, count: 2)
            let writer = try FeatureStoreWriter(at: url, request: request)
            try TestCache.fill(writer, teachers)
            try writer.close()
            #expect(writer.statisticsWritten.isEmpty)
            #expect(try FeatureStoreReader(at: url).statistics(teacher: "image") == nil)
            parts.append(url)
        }
        let merged = folder.appendingPathComponent("merged.h5")
        let report = try FeatureStoreMerge.merge(shards: parts, into: merged)
        let (reader, reference) = (try FeatureStoreReader(at: merged), try FeatureStoreReader(at: whole))
        for name in ["image", "video"] {
            let stats = try #require(try reader.statistics(teacher: name))
            #expect(report.statistics[name] == stats)
            #expect(stats == (try reference.statistics(teacher: name)), "\(name)")
        }
    }

    @Test("a merge of shards that are not all done stores no statistics")
    func mergeOfIncompleteShards() throws {
        let teacher = TestCache.teacher("image")
        let folder = try Fixtures.temporaryDirectory("featurestore-stats-partial")
        var parts: [URL] = []
        for index in 0..<2 {
            let url = folder.appendingPathComponent("part\(index).h5")
            var request = TestCache.request([teacher])
            request.shard = try Shard(index: index, count: 2)
            let writer = try FeatureStoreWriter(at: url, request: request)
            // Shard 1 (videos 2..<5) stops after its first remaining video.
            try TestCache.fill(writer, [teacher], videos: index == 0 ? nil : [2])
            try writer.close()
            parts.append(url)
        }
        let merged = folder.appendingPathComponent("merged.h5")
        let report = try FeatureStoreMerge.merge(shards: parts, into: merged)
        #expect(report.statistics.isEmpty && report.rowsDone["image"] == 4)
        #expect(try FeatureStoreReader(at: merged).statistics(teacher: "image") == nil)
    }

    @Test("statistics of the wrong length are refused, naming the teacher")
    func damagedStatisticsAreRefused() throws {
        let url = try CacheSurgery.finished("stats-damaged")
        try CacheSurgery.edit(url, "/teachers/image") { group in
            try group.removeAttribute(CacheNames.featureMean)
            try group.setAttribute(CacheNames.featureMean, float32: [1, 2, 3])
        }
        let error = #expect(throws: FeatureStoreError.self) { try FeatureStoreReader(at: url).statistics(teacher: "image") }
        #expect(error?.message.contains("teacher \"image\"") == true && error?.message.contains("3 means") == true, "\(error?.message ?? "")")
    }

    @Test("moments merged row by row keep a large mean's small spread exactly")
    func largeMeanSmallSpread() {
        // Channel 0 alternates 1e4 ± 1 (std 1): a sum of squares minus the squared sum in float32 would lose it.
        var moments = FeatureMoments(width: 2)
        for r in 0..<3 {
            let row: [Float] = [1e4 + 1, Float(r), 1e4 - 1, Float(r)]
            row.withUnsafeBufferPointer { moments.add(row: $0) }
        }
        let stats = moments.statistics
        #expect(stats?.mean == [1e4, 1])
        #expect(stats?.std[0] == 1)
        // Channel 1: values 0, 0, 1, 1, 2, 2 → variance (2·1 + 0 + 2·1) / 6 = 2/3.
        #expect(stats.map { abs($0.std[1] - Float((2.0 / 3.0).squareRoot())) <= 1e-7 } == true)
        #expect(stats?.rows == 3)
    }
}
