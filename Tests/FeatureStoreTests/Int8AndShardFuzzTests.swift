import Foundation
import TestSupport
import Testing

@testable import FeatureStore

/// Structure-aware fuzzing of what byte-level mutation of a whole file rarely reaches: the values of an int8
/// teacher (codes and per-token scales) and the metadata of shard files. Each mutated input must end in a typed
/// error or in the result a correct reader gives, checked against an independent computation.
@Suite("int8 and shard fuzzing", .serialized)
struct Int8AndShardFuzzTests {
    /// Seconds per target: the CI budget is shared by every fuzz target.
    static let seconds = MutationFuzzer.budgetSeconds(default: 3)

    static func littleEndian(_ bytes: [UInt8], at offset: Int, width: Int) -> UInt64 {
        (0..<width).reduce(0) { $0 | UInt64(offset + $1 < bytes.count ? bytes[offset + $1] : 0) << (8 * UInt64($1)) }
    }

    @Test("mutated int8 codes and scales: damaged rows are found, refused on read and reset; the rest read as code × scale")
    func fuzzInt8Values() throws {
        let seed = try Int8StorageTests.cache("fuzz-int8-values")
        let input = seed.deletingLastPathComponent().appendingPathComponent("input.h5")
        let (rows, tokens, width) = (10, Int8StorageTests.teacher.tokenCount, Int8StorageTests.teacher.embedDim)
        let stored = try (0..<rows).map { try Int8StorageTests.stored(seed, row: $0) }
        let seedBytes =
            stored.flatMap { $0.codes.map { UInt8(bitPattern: $0) } }
            + stored.flatMap { $0.scales.flatMap { s in (0..<4).map { UInt8(truncatingIfNeeded: s.bitPattern >> (8 * $0)) } } }
        let codeCount = rows * tokens * width
        let done = (0..<rows).map { $0 / 2 != 2 }  // video 2 failed: its rows 4 and 5 are never done
        let run = { (bytes: [UInt8]) throws in
            try? FileManager.default.removeItem(at: input)
            try FileManager.default.copyItem(at: seed, to: input)
            let codes = (0..<codeCount).map { Int8(bitPattern: $0 < bytes.count ? bytes[$0] : 0) }
            let scales = (0..<rows * tokens).map {
                Float(bitPattern: UInt32(truncatingIfNeeded: Self.littleEndian(bytes, at: codeCount + 4 * $0, width: 4)))
            }
            try CacheSurgery.edit(input, "/teachers/video") { group in
                try group.openDataset("features").write(rows: 0..<rows, codes)
                try group.openDataset("features_scale").write(rows: 0..<rows, scales)
            }
            let usable = { (s: Float) in s >= 0 && s <= Float.greatestFiniteMagnitude / 127 }
            let damaged = (0..<rows).filter { r in done[r] && !scales[r * tokens..<(r + 1) * tokens].allSatisfy(usable) }
            #expect(try ScaleCheck.damagedRows(in: input) == (damaged.isEmpty ? [:] : ["video": damaged]))
            let summary = try FeatureStoreInspection.summary(of: input)
            #expect(summary.isComplete == damaged.isEmpty)
            let reader = try FeatureStoreReader(at: input)
            var row = [Float](repeating: 0, count: tokens * width)
            for r in 0..<rows where done[r] {
                if damaged.contains(r) {
                    #expect(throws: FeatureStoreError.self) { try reader.read(row: r, teacher: "video", into: &row) }
                    continue
                }
                try reader.read(row: r, teacher: "video", into: &row)
                let expected = (0..<tokens * width).map { Float(codes[r * tokens * width + $0]) * scales[r * tokens + $0 / width] }
                #expect(row == expected, "row \(r)")
            }
            reader.close()
            if !damaged.isEmpty {
                #expect(try ScaleCheck.resetDamagedRows(in: input) == ["video": damaged])
                let after = try FeatureStoreInspection.summary(of: input)
                #expect(after.damagedScales.isEmpty && after.teachers[0].rowsDone == done.filter { $0 }.count - damaged.count)
            }
        }
        for (name, bytes) in MutationFuzzer.regressions("int8-values") {
            try run(bytes)
            _ = name
        }
        var fuzzer = MutationFuzzer(target: "int8-values", corpus: [seedBytes])
        let summary = fuzzer.run(seconds: Self.seconds, run)
        #expect(summary.iterations > 0 && summary.rejected == 0, "\(summary)")
    }

    /// Shard and fingerprint attributes a merge trusts, in the order the fuzz input sets them (8 bytes each).
    static let shardFields: [(path: String, name: String)] = [
        ("/", CacheNames.shardIndex), ("/", CacheNames.shardCount), ("/", CacheNames.videoOffset),
        ("/", CacheNames.totalVideos), ("/", "views_per_video")
    ]

    @Test("mutated shard metadata: the merge refuses it, or gives the single-process cache")
    func fuzzShardMetadata() throws {
        let folder = try Fixtures.temporaryDirectory("fuzz-shards")
        let whole = folder.appendingPathComponent("whole.h5")
        let writer = try FeatureStoreWriter(at: whole, request: TestCache.request([TestCache.teacher("video")]))
        try TestCache.fill(writer, [TestCache.teacher("video")])
        try writer.close()
        let seeds = try (0..<2).map { try ShardMergeTests.shard(folder, $0, of: 2, dtype: .float16) }
        var seedBytes: [UInt8] = []
        for url in seeds {
            let cache = try CacheFile(at: url, writable: false)
            let values = [
                cache.shard.index, cache.shard.count, cache.videoOffset, cache.totalVideos, cache.attributes.viewsPerVideo
            ]
            cache.close()
            seedBytes += values.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        }
        let inputs = (0..<2).map { folder.appendingPathComponent("input\($0).h5") }
        let merged = folder.appendingPathComponent("merged.h5")
        let run = { (bytes: [UInt8]) throws in
            var changed = false
            for (i, input) in inputs.enumerated() {
                try? FileManager.default.removeItem(at: input)
                try FileManager.default.copyItem(at: seeds[i], to: input)
                for (path, fields) in Dictionary(grouping: Self.shardFields.indices, by: { Self.shardFields[$0].path }) {
                    try CacheSurgery.edit(input, path) { object in
                        for f in fields {
                            let at = 8 * (i * Self.shardFields.count + f)
                            let value = Int(Int64(bitPattern: Self.littleEndian(bytes, at: at, width: 8)))
                            let seedValue = Int(Int64(bitPattern: Self.littleEndian(seedBytes, at: at, width: 8)))
                            changed = changed || value != seedValue
                            try object.removeAttribute(Self.shardFields[f].name)
                            try object.setAttribute(Self.shardFields[f].name, value)
                        }
                    }
                }
                _ = try? FeatureStoreInspection.summary(of: input)
            }
            try? FileManager.default.removeItem(at: merged)
            do {
                try FeatureStoreMerge.merge(shards: inputs, into: merged)
            } catch {
                #expect(error is FeatureStoreError, "\(error)")
                #expect(changed, "the unchanged shards were refused: \(error)")
                throw error
            }
            try expectSameCache(merged, whole)
        }
        for (name, bytes) in MutationFuzzer.regressions("shard-metadata") {
            #expect(throws: (any Error).self, "regression \(name)") { try run(bytes) }
        }
        var fuzzer = MutationFuzzer(target: "shard-metadata", corpus: [seedBytes])
        let summary = fuzzer.run(seconds: Self.seconds, run)
        #expect(summary.iterations > 0 && summary.rejected > 0, "\(summary)")
    }
}
