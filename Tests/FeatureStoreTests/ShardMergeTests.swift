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
