import FeatureStore
import Foundation
import TestSupport
import Testing

/// Mutated cache files go through everything a reader does with a cache: open, verify, read every row of every
/// teacher, every view and pixel row, the video lists. Throwing is the right answer to garbage; a crash is a bug.
@Suite("cache fuzzing", .serialized)
struct CacheFuzzTests {
    /// Opens `url` and reads all of it through the public API.
    static func readEverything(_ url: URL) throws {
        let reader = try FeatureStoreReader(at: url)
        _ = try FeatureStoreInspection.verify(url)
        _ = try FeatureStoreInspection.summary(of: url)
        _ = try (reader.videos(), reader.videoStatuses(), reader.videoErrors(), reader.rowVideos())
        for t in reader.teachers {
            _ = try reader.doneFlags(teacher: t.name)
            var buffer = [Float](repeating: 0, count: t.rowElements)
            var halves = [Float16](repeating: 0, count: t.rowElements)
            for row in 0..<reader.rowCount {
                try reader.read(row: row, teacher: t.name, into: &buffer)
                try reader.readFloat16(row: row, teacher: t.name, into: &halves)
            }
        }
        for row in 0..<reader.rowCount {
            let view = try reader.view(row: row)
            if reader.hasPixels {
                var pixels = [UInt8](
                    repeating: 0,
                    count: view.frames.count * reader.attributes.inputSize
                        * reader.attributes.inputSize * 3)
                try reader.readPixels(row: row, into: &pixels)
            }
        }
    }

    @Test("mutated cache files are refused or read, never crash the reader")
    func fuzzCache() throws {
        let dir = try Fixtures.temporaryDirectory("fuzz-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let seed = try CacheSurgery.finished(
            "fuzz-seed", teachers: [TestCache.teacher("image", tokens: 2, width: 2)],
            pixels: true)
        // An int8 teacher brings the scale dataset, its checks and the dequantising read path into reach.
        let int8Seed = try CacheSurgery.finished(
            "fuzz-seed-int8",
            teachers: [TestCache.teacher("video", dtype: .int8, tokens: 2, width: 2)])
        let input = dir.appendingPathComponent("input.h5")
        let run = { (bytes: [UInt8]) throws in
            try Data(bytes).write(to: input)
            try Self.readEverything(input)
        }
        for (name, bytes) in MutationFuzzer.regressions("cache") {
            #expect(throws: (any Error).self, "regression \(name)") { try run(bytes) }
        }
        var fuzzer = MutationFuzzer(
            target: "cache",
            corpus: [
                [UInt8](try Data(contentsOf: seed)),
                [UInt8](try Data(contentsOf: int8Seed))
            ])
        let summary = fuzzer.run(maxIterations: 1_000_000, run)
        #expect(summary.iterations > 0)
        #expect(summary.rejected > 0, "mutations should break some files: \(summary)")
    }

    /// The bytes of `url` with the free-space object of its first global heap collection claiming `size` bytes.
    static func damagingFreeSpace(of url: URL, size: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](try Data(contentsOf: url))
        let start = try #require((0..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual("GCOL".utf8) })
        let le = { (at: Int, n: Int) in (0..<n).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        let end = start + le(start + 8, 8)
        var at = start + 16
        while le(at, 2) != 0 { at += 16 + (le(at + 8, 8) + 7) / 8 * 8 }  // skip the strings to the free space
        #expect(at < end)
        for k in 0..<8 { bytes[at + 8 + k] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(k))) }
        return bytes
    }

    // libhdf5 1.10.8 walks a collection trusting each object's size: with free space of size 0 it never advanced
    // and H5Aread of the "format" attribute never returned.
    @Test("a global heap whose free space claims 0 bytes, or more than is left, is refused as a corrupt file")
    func damagedGlobalHeap() throws {
        let seed = try CacheSurgery.finished("heap", teachers: [TestCache.teacher("image", tokens: 2, width: 2)])
        let dir = seed.deletingLastPathComponent()
        for size: UInt64 in [0, 1 << 40, .max] {
            let url = dir.appendingPathComponent("heap-\(size).h5")
            try Data(try Self.damagingFreeSpace(of: seed, size: size)).write(to: url)
            let error = try #require(CacheOpenTests.refusal(url), "free space of \(size) bytes")
            #expect(error.code == .notACache, "\(error)")
            #expect(
                error.message.contains(
                    "the file is corrupt, its global heap (where strings are stored) is "
                        + "damaged: object 0 at byte"), "\(error)")
            #expect(
                error.message.contains("claims \(size) bytes") && error.message.contains("run extract-features"),
                "\(error)")
        }
    }
}
