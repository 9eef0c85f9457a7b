import Distill
import FeatureStore
import Foundation
import Models
import Tensor

extension PipelineBenchmark {
    /// A cache of `rows` random rows: two teachers [1568, 768] float16 and stored pixels, at 16×224².
    static func studentCache(at url: URL, rows: Int) throws {
        try? FileManager.default.removeItem(at: url)
        let attributes = CacheAttributes(manifestSHA256: String(repeating: "0", count: 64), numFrames: 16, samplingRate: 4, tubeletSize: 2,
                                         inputSize: 224, patchSize: 16, viewsPerVideo: 1, seed: 0, createdBy: "mvd bench")
        let teachers = ["image", "video"].map {
            TeacherSpec(name: $0, kind: $0 == "image" ? .image : .video, arch: "vit_base", embedDim: 768, depth: 12, numHeads: 12,
                        patchSize: 16, inputSize: 224, frameStride: $0 == "image" ? 2 : 1, checkpointSHA256: "random",
                        checkpointName: "random", tokenCount: 1568)
        }
        let writer = try FeatureStoreWriter(at: url, request: .init(
            attributes: attributes, videos: (0..<rows).map { VideoEntry(path: "v\($0).mp4", label: 0) }, teachers: teachers, storePixels: true))
        var rng = SplitMix64(seed: 3)
        for row in 0..<rows {
            let pixels = (0..<(16 * 224 * 224 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try writer.writeView(row: row, RowView(frames: Array(0..<16), crop: (0, 0, 224, 224)), pixels: pixels)
            for t in teachers {
                try writer.writeFeatures(row: row, teacher: t.name, Tensor.uniform([1568 * 768], bound: 2, using: &rng).storage)
            }
            try writer.finishVideo(row)
        }
        try writer.close()
    }

    /// Seconds per optimiser step of a ViT-S student with two ViT-B-width branches: (a) targets read from the cache,
    /// (b) the two ViT-B teachers run inside the step as the original does. Also the data-wait fraction of (a).
    static func studentStep(batch: Int, dir: URL, steps: Int = 3) throws -> (cached: Double, online: Double, dataWait: Double) {
        let cache = dir.appendingPathComponent("student-bench.h5")
        try studentCache(at: cache, rows: batch * (steps + 1))
        let model = try ModelConfig.preset("vit_small")
        let data = try CacheTrainingData(url: cache, teacherNames: ["image", "video"], tokens: 1568, numFrames: 16, inputSize: 224, patchSize: 16, tubeletSize: 2, dataRoot: nil)
        let config = TrainConfig(model: model, architecture: "vit_small", objective: .distill([TeacherTerm(name: "image"), TeacherTerm(name: "video")]),
                                 epochs: 1, batchSize: batch, warmupEpochs: 0, dropPath: 0.1, saveEvery: 1000, logEvery: 1000,
                                 teacherWidths: ["image": 768, "video": 768])
        var rng = SplitMix64(seed: 1)
        let branches = config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry)
        let student = Student(fresh: model, branches: branches, dropPath: 0.1, using: &rng)
        var stepTimes: [Double] = [], waits: [Double] = []
        let trainer = try Trainer(config: config, data: data, run: RunDirectory(dir.appendingPathComponent("student-run")), student: student)
        try trainer.train(resume: false) { p in
            stepTimes.append(Double(batch) / p.clipsPerSecond); waits.append(p.dataWaitFraction)
        }
        // (b): the same step with both teachers computing the targets first.
        let base = try ModelConfig.preset("vit_base")
        let image = ImageTeacher(random: base, using: &rng), video = VideoTeacher(random: base, using: &rng)
        var s = trainer.student
        let masks = config.maskGenerator
        let batchData = try data.load(rows: Array(0..<batch))
        let online = TensorBenchmark.median(minSeconds: 1, maxRuns: steps) {
            let targets = [image.clipFeatures(batchData.clips, frameStride: 2), video.features(clips: batchData.clips)]
            var maskRng = SplitMix64(seed: 9)
            s.zeroGrad()
            _ = s.trainingStep(TrainingBatch(clips: batchData.clips, teacherFeatures: targets),
                               mask: masks.make(batch: batch, using: &maskRng), objective: config.objective, using: &maskRng)
        }
        let timed = Array(stepTimes.dropFirst()).sorted()   // the first step warms up
        let cached = timed[timed.count / 2]
        return (cached, online, waits.dropFirst().reduce(0, +) / Double(max(1, waits.count - 1)))
    }
}
