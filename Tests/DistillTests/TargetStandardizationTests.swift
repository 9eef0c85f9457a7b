import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import Distill
@testable import FeatureStore

/// `--standardize-targets`: each teacher's targets are standardised per channel by its statistics in the cache.
@Suite("per-teacher target standardisation", .serialized)
struct TargetStandardizationTests {
    /// A complete cache of two videos with stored pixels (nothing to decode) and two teachers of very different
    /// scales: "image" of width 3 around 100 ± 20, "video" of width 4 around −0.5 ± 0.01.
    static func cache(in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("cache.h5")
        let attributes = CacheAttributes(
            manifestSHA256: String(repeating: "1", count: 64), numFrames: 2, samplingRate: 1, tubeletSize: 2,
            inputSize: 8, patchSize: 4, viewsPerVideo: 2, seed: 0, createdBy: "TargetStandardizationTests")
        let teachers = [("image", 3), ("video", 4)].map { name, width in
            TeacherSpec(
                name: name, kind: name == "image" ? .image : .video, arch: "vit_test", embedDim: width, depth: 1,
                numHeads: 1, patchSize: 4, inputSize: 8, frameStride: name == "image" ? 2 : 1, checkpointSHA256: "00",
                checkpointName: "\(name).pth", tokenCount: 4, dtype: .float32)
        }
        let videos = [VideoEntry(path: "a.mkv", label: 0), VideoEntry(path: "b.mkv", label: 1)]
        let writer = try FeatureStoreWriter(
            at: url, request: .init(attributes: attributes, videos: videos, teachers: teachers, storePixels: true))
        var random = TestRandom(seed: 5)
        for video in 0..<2 {
            for row in writer.rows(ofVideo: video) {
                try writer.writeView(row: row, RowView(frames: [0, 1], crop: (0, 0, 8, 8)), pixels: [UInt8](repeating: 9, count: 2 * 8 * 8 * 3))
                try writer.writeFeatures(row: row, teacher: "image", random.array(12, scale: 20).map { 100 + $0 })
                try writer.writeFeatures(row: row, teacher: "video", random.array(16, scale: 0.01).map { $0 - 0.5 })
            }
            try writer.finishVideo(video)
        }
        try writer.close()
        return url
    }

    static func data(_ url: URL, standardized: Set<String>) throws -> CacheTrainingData {
        try CacheTrainingData(
            url: url, teacherNames: ["image", "video"], tokens: 4, numFrames: 2, inputSize: 8, patchSize: 4,
            tubeletSize: 2, dataRoot: nil, standardizedTeachers: standardized)
    }

    @Test("the standardisation of a tiny row equals the formula by hand")
    func handComputed() {
        // mean [1, -2], std [2, 0]: (3 - 1) / √(4 + 1e-6), (-2 + 2) / √1e-6 = 0, (5 - 1) / √(4 + 1e-6), (-1 + 2) / 1e-3.
        let s = TargetStandardization(mean: [1, -2], std: [2, 0])
        var row: [Float] = [3, -2, 5, -1]
        row.withUnsafeMutableBufferPointer { s.apply(to: $0) }
        let expected = [2 / (4 + 1e-6).squareRoot(), 0, 4 / (4 + 1e-6).squareRoot(), 1 / 1e-6.squareRoot()]
        for i in row.indices { #expect(abs(Double(row[i]) - expected[i]) <= 1e-6 * max(1, abs(expected[i])), "value \(i): \(row[i])") }
    }

    @Test("the targets a batch hands to the objective are (f − mean) / √(std² + ε) of the teacher's stored statistics")
    func loadedTargets() throws {
        let dir = try Fixtures.temporaryDirectory("standardize-load")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.cache(in: dir)
        let plain = try Self.data(url, standardized: [])
        let standardized = try Self.data(url, standardized: ["video"])
        #expect(standardized.standardizations.map { $0 != nil } == [false, true])
        let stats = try #require(try plain.reader.statistics(teacher: "video"))
        let raw = try plain.load(rows: [0, 3]), batch = try standardized.load(rows: [0, 3])
        // The image teacher is not standardised: its targets are the stored ones.
        #expect(batch.teacherFeatures[0].storage == raw.teacherFeatures[0].storage)
        let width = 4
        var largest = 0.0
        for (i, f) in raw.teacherFeatures[1].storage.enumerated() {
            let c = i % width
            let mean = Double(stats.mean[c]), std = Double(stats.std[c])
            let expected = (Double(f) - mean) / (std * std + 1e-6).squareRoot()
            #expect(abs(Double(batch.teacherFeatures[1].storage[i]) - expected) <= 1e-4, "value \(i)")
            largest = max(largest, abs(expected))
        }
        // Standardised values of a spread of 0.01 around −0.5 are of order 1, not 0.01.
        #expect(largest > 0.5 && largest < 10, "\(largest)")
    }

    @Test("with both, the LayerNorm of --norm-targets runs on the standardised features")
    func standardizeThenNormalize() throws {
        let dir = try Fixtures.temporaryDirectory("standardize-order")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.cache(in: dir)
        let batch = try Self.data(url, standardized: ["image", "video"]).load(rows: [1])
        let raw = try Self.data(url, standardized: []).load(rows: [1])
        let mask = [true, false, true, true]
        let targets = maskedTargets(features: batch.teacherFeatures[0], mask: mask, normalize: true)
        let expected = gatherTokens(
            layerNormForward(batch.teacherFeatures[0], weight: nil, bias: nil, eps: 1e-6).0, mask: mask, select: true)
        #expect(targets.storage == expected.storage)
        // And not the LayerNorm of the stored features, which differs since the channels' scales differ.
        let unstandardized = maskedTargets(features: raw.teacherFeatures[0], mask: mask, normalize: true)
        #expect(targets.storage != unstandardized.storage)
    }

    @Test("a teacher without statistics is refused, naming it and the command that adds them")
    func refusedWithoutStatistics() throws {
        let dir = try Fixtures.temporaryDirectory("standardize-missing")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = try Self.cache(in: dir)
        // As in a cache written before statistics existed.
        try removeStatistics(url, teacher: "video")
        let message = Fixtures.errorMessage { _ = try Self.data(url, standardized: ["video"]) }
        #expect(message.contains("--standardize-targets: teacher 'video'"), "\(message)")
        #expect(message.contains("extract-features --teacher video --name video"), "\(message)")
        #expect(message.contains(url.path), "\(message)")
        // Without the flag the same cache trains as before.
        #expect(try Self.data(url, standardized: []).standardizations == [nil, nil])
    }

    @Test("config.json records the flag; one written before it existed reads as off; a change is a different run")
    func recordedInConfig() throws {
        let term = TeacherTerm(name: "video", normalizeTargets: true, standardizeTargets: true)
        let json = String(decoding: try JSONEncoder().encode(term), as: UTF8.self)
        #expect(json.contains("\"standardizeTargets\":true"), "\(json)")
        let old = #"{"name":"video","loss":"smooth-l1","weight":1,"normalizeTargets":false}"#
        #expect(try JSONDecoder().decode(TeacherTerm.self, from: Data(old.utf8)).standardizeTargets == false)

        let model = try ModelConfig.preset("vit_small")
        let on = TrainConfig(model: model, architecture: "vit_small", objective: .distill([term]), epochs: 1, batchSize: 1)
        var off = on
        off.objective = .distill([TeacherTerm(name: "video", normalizeTargets: true)])
        #expect(on != off)
        #expect(TrainConfig.differingFields(on, off) == ["objective"])
        let run = RunDirectory(try Fixtures.temporaryDirectory("standardize-config"))
        try run.writeConfig(on)
        #expect(try run.readConfig() == on)
    }
}

/// Deletes a teacher's statistics, as in a cache written before they existed; the file is closed when this returns.
func removeStatistics(_ url: URL, teacher: String) throws {
    let group = try H5Object.openFile(at: url, writable: true).openGroup("teachers").openGroup(teacher)
    for name in [CacheNames.featureMean, CacheNames.featureStd, CacheNames.featureStatsRows] { try group.removeAttribute(name) }
    try group.flush()
}
