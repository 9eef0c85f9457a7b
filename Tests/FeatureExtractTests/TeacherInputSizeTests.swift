import Checkpoint
import Distill
import FeatureExtract
import FeatureStore
import Foundation
import Models
import Tensor
import TestSupport
import Testing
import VideoIO

/// The ViT-H recipe in small: a patch-14 image teacher that sees each crop resized to 42 px (3×3 tokens) feeding a
/// patch-16 student at 48 px (3×3 tokens), as MAE's ViT-H/14 at 196 px feeds a patch-16 student at 224.
@Suite("a teacher at its own input size", .serialized)
struct TeacherInputSizeTests {
    static let teacherModel = ModelConfig(embedDim: 32, depth: 1, numHeads: 2, patchSize: 14, inputSize: 42)
    static let student = ModelConfig(
        embedDim: 32, depth: 1, numHeads: 2, patchSize: 16, inputSize: 48,
        decoder: DecoderConfig(embedDim: 16, depth: 1, numHeads: 2))

    /// A freshly initialised patch-14 image model saved in MAE's layout.
    static func teacherCheckpoint(in dir: URL) throws -> URL {
        var image = teacherModel
        image.numFrames = 1
        image.tubeletSize = 1
        var rng = SplitMix64(seed: 7)
        var model = Student(fresh: image, branches: [], positionEncoding: .sincos2D, using: &rng)
        let file = dir.appendingPathComponent("mae-patch14.safetensors")
        try SafeTensors.write(StateDict(tensors: try model.exported(as: .imageTeacher)), to: file)
        return file
    }

    /// A scratch folder holding a small dataset (under `root`) and the patch-14 teacher's weights.
    static func workspace(_ tag: String) throws -> (dir: URL, root: URL, manifest: URL, checkpoint: URL) {
        let dir = try Fixtures.temporaryDirectory(tag)
        let root = dir.appendingPathComponent("data")
        return (dir, root, try ExtractionFixtures.dataset(in: root), try teacherCheckpoint(in: dir))
    }

    static func config(checkpoint: URL, manifest: URL, root: URL, out: URL, teacherInputSize: Int?) -> ExtractConfig {
        ExtractConfig(
            teacher: .image, checkpoint: checkpoint, architecture: "mae_patch14_tiny", model: teacherModel,
            manifest: manifest, dataRoot: root, out: out, view: .random, numFrames: 16, samplingRate: 2,
            inputSize: 48, dtype: .float32, batchSize: 2, seed: 3, commitEvery: 2, teacherInputSize: teacherInputSize)
    }

    @Test("extraction resizes each crop to 42 px for the patch-14 teacher; the patch-16 student at 48 px trains from the cache")
    func patch14TeacherFeedsPatch16Student() throws {
        let (dir, root, manifest, checkpoint) = try Self.workspace("teacher-input-size")
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("cache.h5")
        let config = Self.config(checkpoint: checkpoint, manifest: manifest, root: root, out: out, teacherInputSize: 42)
        #expect(config.tokensPerRow == 8 * 9 && config.cachePatchSize == 16)
        _ = try Extractor(config: config).run { _ in }

        let reader = try FeatureStoreReader(at: out)
        #expect(reader.attributes.inputSize == 48 && reader.attributes.patchSize == 16)
        let spec = try reader.teacher("image")
        #expect(spec.inputSize == 42 && spec.patchSize == 14 && spec.tokenCount == 72 && spec.frameStride == 2)

        // Row 0's targets are the teacher on its crop resized straight to 42 px (not the 48 px clip resized again).
        let view = try reader.view(row: 0)
        let video = try reader.videos()[try reader.rowVideos()[0]]
        let frames = try VideoReader(path: root.appendingPathComponent(video.path).path).frames(at: view.frames)
        let box = CropBox(x: view.crop.x, y: view.crop.y, width: view.crop.width, height: view.crop.height)
        let teacherClip = frames.applying(ClipViews.cached(frames: view.frames, crop: box, inputSize: 42))
        let (teacher, _) = try FrozenTeacher.load(.image, checkpoint: checkpoint, config: config.teacherModel, frameStride: 2)
        let expected = teacher.features(Tensor(shape: [1, 3, 16, 42, 42], teacherClip.normalizedChannelsFirst()))
        var stored = [Float](repeating: 0, count: 72 * 32)
        try reader.read(row: 0, teacher: "image", into: &stored)
        let r = closeness(stored, expected.storage, atol: 1e-5, rtol: 1e-5, label: "stored targets vs teacher at 42 px")
        #expect(r.ok, "\(r)")
        reader.close()

        let data = try CacheTrainingData(
            url: out, teacherNames: ["image"], tokens: 72, numFrames: 16, inputSize: 48, patchSize: 16,
            tubeletSize: 2, dataRoot: root.path)
        let train = TrainConfig(
            model: Self.student, architecture: "tiny", objective: .distill([TeacherTerm(name: "image")]),
            maskRatio: 0.75, epochs: 2, batchSize: 2, baseLR: 0.05, minLR: 0.01, warmupEpochs: 0, dropPath: 0,
            seed: 1, saveEvery: 100, logEvery: 1, teacherWidths: ["image": 32])
        var rng = SplitMix64(seed: 2)
        let model = Student(
            fresh: Self.student, branches: train.objective.branches(teacherWidths: train.teacherWidths, geometry: train.geometry),
            using: &rng)
        let run = RunDirectory(dir.appendingPathComponent("run"))
        try Trainer(config: train, data: data, run: run, student: model).train(resume: false) { _ in }
        let metrics = try run.readMetrics()
        #expect(metrics.count >= 4 && metrics.allSatisfy { $0.loss.isFinite && $0.loss > 0 })
    }

    @Test("a teacher grid that no student grid on the clips can match is refused before any work; a student on another grid is refused by distill")
    func mismatchedGrids() throws {
        let (dir, root, manifest, checkpoint) = try Self.workspace("teacher-grid")
        defer { try? FileManager.default.removeItem(at: dir) }
        // 70 px / patch 14 = 5×5 tokens, which no patch divides 48 px into.
        let out = dir.appendingPathComponent("five.h5")
        let five = Fixtures.errorMessage {
            _ = try Extractor(
                config: Self.config(
                    checkpoint: checkpoint, manifest: manifest, root: root, out: out,
                    teacherInputSize: 70))
        }
        #expect(five.contains("5×5") && five.contains("48 px") && five.contains("--teacher-input-size"), "\(five)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing is created")
        let odd = Fixtures.errorMessage {
            try Self.config(checkpoint: checkpoint, manifest: manifest, root: root, out: out, teacherInputSize: 40).validate()
        }
        #expect(odd.contains("40") && odd.contains("patch size 14"), "\(odd)")

        // 28 px / patch 14 = 2×2 tokens: a valid cache (24 px per token), but not for the 3×3 patch-16 student.
        let two = dir.appendingPathComponent("two.h5")
        _ = try Extractor(config: Self.config(checkpoint: checkpoint, manifest: manifest, root: root, out: two, teacherInputSize: 28)).run { _ in }
        let refused = Fixtures.errorMessage {
            _ = try CacheTrainingData(
                url: two, teacherNames: ["image"], tokens: 72, numFrames: 16, inputSize: 48,
                patchSize: 16, tubeletSize: 2, dataRoot: root.path)
        }
        #expect(refused.contains("8×2×2") && refused.contains("8×3×3"), "\(refused)")
    }
}
