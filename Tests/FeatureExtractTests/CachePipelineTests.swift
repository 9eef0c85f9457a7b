import Checkpoint
import Distill
import FeatureExtract
import FeatureStore
import Foundation
import Models
import Tensor
import TestSupport
import Testing

/// Training from real caches: what is refused, and the pixel-target stage that makes teachers.
@Suite("training from a feature cache", .serialized)
struct CachePipelineTests {
    static let student = ModelConfig(
        embedDim: 32, depth: 1, numHeads: 2, patchSize: 8, inputSize: 32,
        decoder: DecoderConfig(embedDim: 16, depth: 1, numHeads: 2))

    /// A generated dataset with both fixture teachers extracted (2 views per video).
    static func cache(in dir: URL, teachers: [TeacherChoice] = [.image, .video], storePixels: Bool = false) throws -> (URL, URL) {
        let root = dir.appendingPathComponent("data")
        let manifest = try ExtractionFixtures.dataset(in: root)
        let out = dir.appendingPathComponent("cache.h5")
        for t in teachers {
            var c = try ExtractionFixtures.config(
                t, manifest: manifest, dataRoot: root, out: out, view: .random, samplingRate: 2,
                float32: false, views: 2)
            c.storePixels = storePixels
            _ = try Extractor(config: c).run { _ in }
        }
        return (out, root)
    }

    @Test("a missing teacher, a token grid that does not fit, and unfinished rows are refused with clear messages")
    func refusals() throws {
        let dir = try Fixtures.temporaryDirectory("refuse")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (url, root) = try Self.cache(in: dir, teachers: [.video])
        let missing = Fixtures.errorMessage {
            _ = try CacheTrainingData(
                url: url, teacherNames: ["image"], tokens: 128, numFrames: 16, inputSize: 32, patchSize: 8, tubeletSize: 2, dataRoot: root.path)
        }
        #expect(missing.contains("image") && missing.contains("extract-features"), "\(missing)")
        let grid = Fixtures.errorMessage {
            _ = try CacheTrainingData(
                url: url, teacherNames: ["video"], tokens: 256, numFrames: 16, inputSize: 32, patchSize: 8, tubeletSize: 2, dataRoot: root.path)
        }
        #expect(grid.contains("128") && grid.contains("256"), "\(grid)")
        let geometry = Fixtures.errorMessage {
            _ = try CacheTrainingData(
                url: url, teacherNames: ["video"], tokens: 128, numFrames: 8, inputSize: 32, patchSize: 8, tubeletSize: 2, dataRoot: root.path)
        }
        #expect(geometry.contains("8 frames"), "\(geometry)")
        // an interrupted extraction: a fresh cache for the image teacher with only a few rows written
        var partial = try ExtractionFixtures.config(
            .image, manifest: root.appendingPathComponent("train.csv"), dataRoot: root,
            out: dir.appendingPathComponent("partial.h5"), view: .random, samplingRate: 2, float32: false, views: 2)
        partial.commitEvery = 1
        struct Stop: Error {}
        let extractor = try Extractor(config: partial)
        _ = try? extractor.run { p in if p.rowsDone >= 4 { throw Stop() } }
        let unfinished = Fixtures.errorMessage {
            _ = try CacheTrainingData(
                url: partial.out, teacherNames: ["image"], tokens: 128, numFrames: 16, inputSize: 32, patchSize: 8, tubeletSize: 2,
                dataRoot: root.path)
        }
        #expect(unfinished.contains("rerun extract-features"), "\(unfinished)")
    }

    @Test("rows re-decoded from frames and crop equal the stored pixels, and feed a falling distillation loss")
    func trainsFromCache() throws {
        let dir = try Fixtures.temporaryDirectory("train-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (url, root) = try Self.cache(in: dir, storePixels: true)
        let stored = try CacheTrainingData(
            url: url, teacherNames: ["image", "video"], tokens: 128, numFrames: 16, inputSize: 32, patchSize: 8, tubeletSize: 2, dataRoot: root.path)
        #expect(stored.rowCount == 20)
        let decodedPixels = try stored.redecodedClip(row: 3), storedPixels = try stored.storedClip(row: 3)
        #expect(decodedPixels == storedPixels, "re-decoding a row gives exactly its stored pixels")
        let config = TrainConfig(
            model: Self.student, architecture: "tiny", objective: .distill([TeacherTerm(name: "image"), TeacherTerm(name: "video")]),
            maskRatio: 0.75, epochs: 8, batchSize: 4, baseLR: 0.1, minLR: 0.01, warmupEpochs: 1, dropPath: 0,
            seed: 1, saveEvery: 100, logEvery: 1, teacherWidths: ["image": 64, "video": 40])
        var rng = SplitMix64(seed: 2)
        let student = Student(
            fresh: Self.student, branches: config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry),
            using: &rng)
        let trainer = try Trainer(config: config, data: stored, run: RunDirectory(dir.appendingPathComponent("run")), student: student)
        try trainer.train(resume: false) { _ in }
        let m = try RunDirectory(dir.appendingPathComponent("run")).readMetrics()
        let first: Double = m.prefix(3).map(\.loss).reduce(0, +), last: Double = m.suffix(3).map(\.loss).reduce(0, +)
        #expect(last < first, "loss falls: \(first / 3) → \(last / 3)")
    }

    @Test("pixel targets make teachers: a video model and an image model, exported, load in extract-features")
    func pixelStageMakesTeachers() throws {
        let dir = try Fixtures.temporaryDirectory("pixels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (url, root) = try Self.cache(in: dir, teachers: [.video])
        let data = try CacheTrainingData(
            url: url, teacherNames: [], tokens: 0, numFrames: 16, inputSize: 32, patchSize: 8, tubeletSize: 2, dataRoot: root.path)
        for image in [false, true] {
            var model = Self.student
            if image {
                model.numFrames = 1
                model.tubeletSize = 1
            }
            let config = TrainConfig(
                model: model, architecture: "tiny", positionEncoding: image ? .sincos2D : .sinusoid1D,
                objective: .pixels(image ? .mae : .videoMAE), imageFrameStride: image ? 2 : nil,
                mask: image ? .random : .tube, maskRatio: image ? 0.75 : 0.9, epochs: 4, batchSize: 4, baseLR: 0.1,
                minLR: 0.01, dropPath: 0, seed: 1, saveEvery: 100, logEvery: 1)
            var rng = SplitMix64(seed: 3)
            let student = Student(
                fresh: model, branches: config.objective.branches(teacherWidths: [:], geometry: config.geometry),
                positionEncoding: config.positionEncoding, using: &rng)
            let run = RunDirectory(dir.appendingPathComponent(image ? "image-run" : "video-run"))
            try Trainer(config: config, data: data, run: run, student: student).train(resume: false) { _ in }
            let metrics = try run.readMetrics()
            #expect(metrics.last!.loss < metrics.first!.loss, "pixel loss falls (\(image ? "image" : "video"))")
            var trained = try run.loadStudent()
            let layout: ExportLayout = image ? .imageTeacher : .videoTeacher
            let file = run.url.appendingPathComponent("teacher.safetensors")
            try SafeTensors.write(StateDict(tensors: try trained.exported(as: layout)), to: file)
            var teacherModel = Self.student
            teacherModel.decoder = nil
            let (teacher, _) = try FrozenTeacher.load(image ? .image : .video, checkpoint: file, config: teacherModel, frameStride: 2)
            // the exported teacher computes exactly what the trained encoder computes on the same clip
            let clip = try data.load(rows: [0]).clips
            let features = teacher.features(clip)
            #expect(features.shape == [1, 128, 32])
            if !image {
                let encoded = trained.encode(clips: clip, mask: [Bool](repeating: false, count: 128), applyFinalNorm: false)
                let r = closeness(features.storage, encoded.storage, atol: 1e-4, rtol: 1e-4, label: "video teacher vs encoder")
                #expect(r.ok, "\(r)")
            }
            if !image {
                let encoded = trained.encode(clips: clip, mask: [Bool](repeating: false, count: 128), applyFinalNorm: false)
                let r = closeness(features.storage, encoded.storage, atol: 1e-4, rtol: 1e-4, label: "video teacher vs encoder")
                #expect(r.ok, "\(r)")
            }
            if image {
                let frame0 = Tensor(shape: [1, 3, 1, 32, 32], (0..<3).flatMap { c in Array(clip.storage[(c * 16) * 1024..<(c * 16 + 1) * 1024]) })
                let encoded = trained.encode(clips: frame0, mask: [Bool](repeating: false, count: 16), applyFinalNorm: false)
                let r = closeness(Array(features.storage[0..<16 * 32]), encoded.storage, atol: 1e-4, rtol: 1e-4, label: "image teacher vs encoder")
                #expect(r.ok, "\(r)")
            }
        }
    }
}
