import FeatureStore
import Foundation
import TestSupport
import Testing

@Suite("shards and merge")
struct ShardMergeTests {
    @Test("two shard writers, one killed and resumed, merge into a cache equal to a single-process run")
    func twoShards() throws {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("shards")
        let whole = folder.appendingPathComponent("whole.h5")
        let parts = [folder.appendingPathComponent("part0.h5"), folder.appendingPathComponent("part1.h5")]
        #expect(try runProcess(writer, [whole.path]).0 == 0)
        #expect(try runProcess(writer, [parts[1].path, "--shard", "1/2"]).0 == 0)
        #expect(try runProcess(writer, [parts[0].path, "--shard", "0/2", "--kill-after-writes", "3"]).0 == -SIGKILL)
        #expect(try runProcess(writer, [parts[0].path, "--shard", "0/2"]).0 == 0)

        let shard1 = try FeatureStoreReader(at: parts[1])
        #expect(shard1.shard == (try Shard(index: 1, count: 2)) && shard1.videoOffset == 3 && shard1.videoCount == 4)
        #expect(try shard1.rowVideos() == [3, 3, 4, 4, 5, 5, 6, 6])  // global video indices

        let merged = folder.appendingPathComponent("merged.h5")
        let report = try FeatureStoreMerge.merge(shards: parts.reversed(), into: merged)
        #expect(report.videoCount == 7 && report.rowCount == 14 && report.rowsDone["image"] == 12)
        #expect(try FeatureStoreReader(at: merged).shard == .whole)
        try expectIdenticalCaches(merged, whole)
    }

    @Test("merging without every shard is refused, naming the missing one; an existing target is never overwritten")
    func missingShard() throws {
        let writer = try crashWriter()
        let folder = try Fixtures.temporaryDirectory("shards-missing")
        let part = folder.appendingPathComponent("part2.h5")
        #expect(try runProcess(writer, [part.path, "--shard", "2/3"]).0 == 0)
        let target = folder.appendingPathComponent("merged.h5")
        let error = #expect(throws: FeatureStoreError.self) { try FeatureStoreMerge.merge(shards: [part], into: target) }
        #expect(
            error?.code == .shardMismatch && error?.message.contains("missing [\"0/3\", \"1/3\"]") == true,
            "\(error?.message ?? "")")
        #expect(!FileManager.default.fileExists(atPath: target.path))
        let exists = #expect(throws: FeatureStoreError.self) { try FeatureStoreMerge.merge(shards: [part], into: part) }
        #expect(exists?.message.contains("exists") == true)
    }

    /// Writes shard `index` of `count` with a video teacher of `dtype` into `folder`/part<index>.h5.
    static func shard(_ folder: URL, _ index: Int, of count: Int, dtype: FeatureDType) throws -> URL {
        let url = folder.appendingPathComponent("part\(index).h5")
        var request = TestCache.request([TestCache.teacher("video", dtype: dtype)])
        request.shard = try Shard(index: index, count: count)
        let writer = try FeatureStoreWriter(at: url, request: request)
        try TestCache.fill(writer, request.teachers)
        try writer.close()
        return url
    }

    @Test("shards of different dtypes are refused naming which shard has which, and how to re-extract the odd one")
    func differentDTypes() throws {
        let folder = try Fixtures.temporaryDirectory("shards-dtype")
        let parts = try [
            Self.shard(folder, 0, of: 3, dtype: .float16), Self.shard(folder, 1, of: 3, dtype: .int8),
            Self.shard(folder, 2, of: 3, dtype: .float16)
        ]
        let target = folder.appendingPathComponent("merged.h5")
        let error = #expect(throws: FeatureStoreError.self) { try FeatureStoreMerge.merge(shards: parts, into: target) }
        let message = error?.message ?? ""
        #expect(error?.code == .shardMismatch, "\(message)")
        #expect(
            message.contains(
                "teachers/video.dtype is \"float16\" in part0.h5 (shard 0/3), part2.h5 (shard 2/3) but \"int8\" in "
                    + "part1.h5 (shard 1/3)"), "\(message)")
        #expect(message.contains("re-extract shard 1/3 with --dtype float16 like the other shards"), "\(message)")
        #expect(!message.contains("in this request") && !message.contains("Use another --out"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: target.path))

        // Two shards: neither is the odd one, so both values are named and the choice is left to the user.
        let pair = try Fixtures.temporaryDirectory("shards-dtype-pair")
        let two = try [Self.shard(pair, 0, of: 2, dtype: .int8), Self.shard(pair, 1, of: 2, dtype: .float32)]
        let tie = #expect(throws: FeatureStoreError.self) {
            try FeatureStoreMerge.merge(shards: two, into: pair.appendingPathComponent("merged.h5"))
        }
        #expect(
            tie?.message.contains("\"int8\" in part0.h5 (shard 0/2) but \"float32\" in part1.h5 (shard 1/2)") == true
                && tie?.message.contains("re-extract the shards that hold the other one with --dtype set to it") == true,
            "\(tie?.message ?? "")")
    }

    @Test("shard ranges are contiguous, cover every video once, and parse from I/N")
    func shardRanges() throws {
        for count in 1...5 {
            let ranges = try (0..<count).map { try Shard(index: $0, count: count).videoRange(totalVideos: 11) }
            #expect(ranges.flatMap { Array($0) } == Array(0..<11), "count \(count)")
        }
        #expect(try Shard(parsing: "1/4") == Shard(index: 1, count: 4))
        #expect(throws: FeatureStoreError.self) { try Shard(parsing: "4/4") }
        #expect(throws: FeatureStoreError.self) { try Shard(parsing: "one") }
    }
}
