import FeatureStore
import Foundation
import Testing
import TestSupport

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
                var pixels = [UInt8](repeating: 0, count: view.frames.count * reader.attributes.inputSize
                                     * reader.attributes.inputSize * 3)
                try reader.readPixels(row: row, into: &pixels)
            }
        }
    }

    // Disabled until the open guards against it: libhdf5 1.10.8 loops for ever in H5HG__protect when a mutation
    // damages the global heap that holds variable-length string attributes (H5Aread of "format" never returns).
    @Test("mutated cache files are refused or read, never crash the reader",
          .disabled("libhdf5 1.10.8 hangs in H5HG__protect on a damaged global heap"))
    func fuzzCache() throws {
        let dir = try Fixtures.temporaryDirectory("fuzz-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let seed = try CacheSurgery.finished("fuzz-seed", teachers: [TestCache.teacher("image", tokens: 2, width: 2)],
                                             pixels: true)
        let input = dir.appendingPathComponent("input.h5")
        let run = { (bytes: [UInt8]) throws in
            try Data(bytes).write(to: input)
            try Self.readEverything(input)
        }
        for (name, bytes) in MutationFuzzer.regressions("cache") {
            #expect(throws: (any Error).self, "regression \(name)") { try run(bytes) }
        }
        var fuzzer = MutationFuzzer(target: "cache", corpus: [[UInt8](try Data(contentsOf: seed))])
        let summary = fuzzer.run(maxIterations: 1_000_000, run)
        #expect(summary.iterations > 0)
        #expect(summary.rejected > 0, "mutations should break some files: \(summary)")
    }
}
