import Benchmarks
import Distill
import FeatureStore
import Foundation
import Models
import Tensor

extension PipelineBenchmark {
    /// A cache of `rows` random rows at the student's clip geometry: two teachers as wide as `teacher` (float16) and
    /// stored pixels.
    static func studentCache(at url: URL, rows: Int, student model: ModelConfig, teacher: ModelConfig) throws {
        try? FileManager.default.removeItem(at: url)
        let (frames, size, tokens) = (model.numFrames, model.inputSize, model.videoTokens)
        let attributes = CacheAttributes(
            manifestSHA256: String(repeating: "0", count: 64), numFrames: frames, samplingRate: 4,
            tubeletSize: model.tubeletSize, inputSize: size, patchSize: model.patchSize, viewsPerVideo: 1,
            seed: 0, createdBy: "mvd bench")
        let teachers = ["image", "video"].map {
            TeacherSpec(
                name: $0, kind: $0 == "image" ? .image : .video, arch: "random", embedDim: teacher.embedDim, depth: teacher.depth,
                numHeads: teacher.numHeads, patchSize: model.patchSize, inputSize: size, frameStride: $0 == "image" ? 2 : 1,
                checkpointSHA256: "random", checkpointName: "random", tokenCount: tokens)
        }
        let writer = try FeatureStoreWriter(
            at: url,
            request: .init(
                attributes: attributes, videos: (0..<rows).map { VideoEntry(path: "v\($0).mp4", label: 0) }, teachers: teachers, storePixels: true))
        var rng = SplitMix64(seed: 3)
        for row in 0..<rows {
            let pixels = (0..<(frames * size * size * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            try writer.writeView(row: row, RowView(frames: Array(0..<frames), crop: (0, 0, size, size)), pixels: pixels)
            for t in teachers {
                try writer.writeFeatures(row: row, teacher: t.name, Tensor.uniform([tokens * teacher.embedDim], bound: 2, using: &rng).storage)
            }
            try writer.finishVideo(row)
        }
        try writer.close()
    }

    /// The timings of one batch size: (a) targets read from the cache, (b) both teachers run inside the step.
    struct StudentStepTimes {
        var cached: TensorBenchmark.Timing, online: TensorBenchmark.Timing?
        /// Mean fraction of an (a) step spent waiting for data.
        var dataWait: Double
    }

    /// Seconds per optimiser step of a `student` (ViT-S) with two branches as wide as `teacher` (ViT-B): (a) targets
    /// read from the cache, (b) two random teachers of that size run inside the step as the original does; both steps
    /// end with the AdamW update. Writes into `dir`, creating it.
    static func studentStep(
        batch: Int, dir: URL, steps: Int = 3, student model: ModelConfig = try! .preset("vit_small"),
        teacher base: ModelConfig = try! .preset("vit_base"), precision: Precision = .fp32, withTeachers: Bool = true
    ) throws -> StudentStepTimes {
        var rng = SplitMix64(seed: 1)
        let (data, config, student) = try setUp(
            batch: batch, rows: batch * (steps + 1), cache: dir.appendingPathComponent("student-bench.h5"), student: model,
            teacher: base, precision: precision, using: &rng)
        var stepTimes: [Double] = [], waits: [Double] = []
        let trainer = try Trainer(config: config, data: data, run: RunDirectory(dir.appendingPathComponent("student-run")), student: student)
        try trainer.train(resume: false) { p in
            stepTimes.append(Double(batch) / p.clipsPerSecond)
            waits.append(p.dataWaitFraction)
        }
        let timed = Array(stepTimes.dropFirst()).sorted()  // the first step warms up
        let cached = TensorBenchmark.Timing(median: timed[timed.count / 2], runs: timed.count)
        let dataWait = waits.dropFirst().reduce(0, +) / Double(max(1, waits.count - 1))
        guard withTeachers else { return StudentStepTimes(cached: cached, online: nil, dataWait: dataWait) }
        // (b): the same step with both teachers computing the targets first.
        let image = ImageTeacher(random: base, using: &rng), video = VideoTeacher(random: base, using: &rng)
        var s = trainer.student
        let masks = config.maskGenerator
        let batchData = try data.load(rows: Array(0..<batch))
        // The frozen teachers' weights are packed once for all steps, as a trainer that keeps them would. The step
        // ends as the trainer's does, so that (a) and (b) differ by the teachers alone.
        var optimizer = AdamW(beta1: config.beta1, beta2: config.beta2, eps: 1e-8)
        let online = ComputePrecision.with(precision) {
            WeightPacks.scope {
                TensorBenchmark.time(minSeconds: 1, maxRuns: steps) {
                    let targets = [image.clipFeatures(batchData.clips, frameStride: 2), video.features(clips: batchData.clips)]
                    var maskRng = SplitMix64(seed: 9)
                    s.zeroGrad()
                    _ = s.trainingStep(
                        TrainingBatch(clips: batchData.clips, teacherFeatures: targets),
                        mask: masks.make(batch: batch, using: &maskRng), objective: config.objective, using: &maskRng)
                    update(&s, &optimizer, config)
                }
            }
        }
        return StudentStepTimes(cached: cached, online: online, dataWait: dataWait)
    }

    /// Self seconds per section and operation of one from-cache step (after one unprofiled warm-up step), the same
    /// step as `studentStep`'s (a) without the data loading: forward, losses, backward, gradient norm, AdamW.
    static func studentStepProfile(
        batch: Int, dir: URL, student model: ModelConfig = try! .preset("vit_small"),
        teacher base: ModelConfig = try! .preset("vit_base"), precision: Precision = .fp32
    ) throws -> OpProfile {
        var rng = SplitMix64(seed: 1)
        let (data, config, fresh) = try setUp(
            batch: batch, rows: batch, cache: dir.appendingPathComponent("student-profile.h5"), student: model, teacher: base,
            precision: precision, using: &rng)
        var s = fresh
        let loaded = try data.load(rows: Array(0..<batch))
        var optimizer = AdamW(beta1: config.beta1, beta2: config.beta2, eps: 1e-8)
        let masks = config.maskGenerator
        func step() {
            var maskRng = SplitMix64(seed: 9)
            OpProfile.section("update") { OpProfile.op(.zeroGrad) { s.zeroGrad() } }
            _ = s.trainingStep(loaded, mask: masks.make(batch: batch, using: &maskRng), objective: config.objective, using: &maskRng)
            update(&s, &optimizer, config)
        }
        return ComputePrecision.with(precision) {
            step()
            return OpProfile.record { step() }.1
        }
    }

    /// What both measurements start from: a cache of `rows` random rows at `cache`, its training data, the run's
    /// settings (two targets named image and video, as wide as `teacher`) and a fresh student. Creates the folder.
    private static func setUp(
        batch: Int, rows: Int, cache: URL, student model: ModelConfig, teacher base: ModelConfig, precision: Precision,
        using rng: inout SplitMix64
    ) throws -> (CacheTrainingData, TrainConfig, Student) {
        try FileManager.default.createDirectory(at: cache.deletingLastPathComponent(), withIntermediateDirectories: true)
        try studentCache(at: cache, rows: rows, student: model, teacher: base)
        let data = try CacheTrainingData(
            url: cache, teacherNames: ["image", "video"], tokens: model.videoTokens, numFrames: model.numFrames,
            inputSize: model.inputSize, patchSize: model.patchSize, tubeletSize: model.tubeletSize, dataRoot: nil)
        let config = TrainConfig(
            model: model, architecture: "vit_small", objective: .distill([TeacherTerm(name: "image"), TeacherTerm(name: "video")]),
            epochs: 1, batchSize: batch, warmupEpochs: 0, dropPath: 0.1, saveEvery: 1000, logEvery: 1000,
            teacherWidths: ["image": base.embedDim, "video": base.embedDim], precision: precision)
        let branches = config.objective.branches(teacherWidths: config.teacherWidths, geometry: config.geometry)
        return (data, config, Student(fresh: model, branches: branches, dropPath: 0.1, using: &rng))
    }

    /// The end of a step as the trainer's: the gradient norm (clipping where the run clips), then the AdamW update.
    private static func update(_ s: inout Student, _ optimizer: inout AdamW, _ config: TrainConfig) {
        OpProfile.section("update") {
            _ = OpProfile.op(.gradientNorm) { config.clipGrad.map { s.clipGradients(maxNorm: $0) } ?? s.gradientNorm() }
            OpProfile.op(.adamW) {
                optimizer.step(&s, lr: Float(config.peakLR), weightDecay: Float(config.weightDecay)) { mvdDecayGroup(name: $0, shape: $1) }
            }
        }
    }
}
