import Checkpoint
import Foundation
import Models
import Tensor
import TestSupport
import Testing

@testable import Distill

/// In-memory rows: random clips, and a "teacher" whose features are a fixed linear map of each tubelet.
final class SyntheticData: TrainingData {
    let clips: [Tensor]
    let features: [Tensor]
    var poisonRow: Int?
    var rowCount: Int { clips.count }

    init(rows: Int, config: ModelConfig, width: Int = 8, seed: UInt64 = 1) {
        var rng = SplitMix64(seed: seed)
        let g = PatchGeometry(
            frames: config.numFrames, height: config.inputSize, width: config.inputSize,
            tubelet: config.tubeletSize, patch: config.patchSize)
        let map = Tensor.uniform([width, g.patchSize], bound: 0.1, using: &rng)
        clips = (0..<rows).map { _ in Tensor.uniform([1, 3, g.frames, g.height, g.width], bound: 1, using: &rng) }
        features = clips.map { linearForward(patchify($0, g), weight: map, bias: nil) }
    }

    func load(rows: [Int]) throws -> TrainingBatch {
        func stack(_ ts: [Tensor]) -> Tensor { Tensor(shape: [ts.count] + Array(ts[0].shape.dropFirst()), ts.flatMap(\.storage)) }
        var f = stack(rows.map { features[$0] })
        if let p = poisonRow, rows.contains(p) { f.storage[0] = .nan }
        return TrainingBatch(clips: stack(rows.map { clips[$0] }), teacherFeatures: [f])
    }
}

@Suite("training runs", .serialized)
struct TrainerTests {
    static let model = ModelConfig(
        embedDim: 32, depth: 1, numHeads: 2, patchSize: 8, inputSize: 32, numFrames: 4,
        decoder: DecoderConfig(embedDim: 16, depth: 1, numHeads: 2))

    static func config(epochs: Int = 6, saveEvery: Int = 100) -> TrainConfig {
        TrainConfig(
            model: model, architecture: "custom", objective: .distill([TeacherTerm(name: "t", loss: .l2)]),
            maskRatio: 0.75, epochs: epochs, batchSize: 2, accumulate: 2, baseLR: 0.05, minLR: 0.005, warmupEpochs: 1,
            dropPath: 0.1, seed: 7, saveEvery: saveEvery, logEvery: 1, teacherWidths: ["t": 8])
    }

    static func student() -> Student {
        var rng = SplitMix64(seed: 11)
        return Student(fresh: model, branches: [BranchSpec(name: "t", targetWidth: 8)], dropPath: 0.1, using: &rng)
    }

    @Test("a short run lowers the loss and writes config, metrics and a checkpoint")
    func lowersLoss() throws {
        let dir = try Fixtures.temporaryDirectory("train")
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Trainer(
            config: Self.config(epochs: 10), data: SyntheticData(rows: 8, config: Self.model),
            run: RunDirectory(dir), student: Self.student())
        try trainer.train(resume: false) { _ in }
        let metrics = try RunDirectory(dir).readMetrics()
        #expect(metrics.count == trainer.totalSteps && trainer.totalSteps == 20)
        let first = metrics.prefix(3).map(\.loss).reduce(0, +), last = metrics.suffix(3).map(\.loss).reduce(0, +)
        #expect(last < 0.7 * first, "loss \(first / 3) → \(last / 3)")
        #expect(metrics[0].lr == 0, "warm-up starts at 0")
        #expect(FileManager.default.fileExists(atPath: RunDirectory(dir).checkpointURL.path))
        #expect(try RunDirectory(dir).readConfig() == Self.config(epochs: 10))
    }

    @Test("a run stopped after a checkpoint and resumed equals an uninterrupted run")
    func resumeEqualsUninterrupted() throws {
        let a = try Fixtures.temporaryDirectory("full"), b = try Fixtures.temporaryDirectory("resumed")
        defer {
            try? FileManager.default.removeItem(at: a)
            try? FileManager.default.removeItem(at: b)
        }
        let data = SyntheticData(rows: 8, config: Self.model)
        let full = try Trainer(config: Self.config(saveEvery: 3), data: data, run: RunDirectory(a), student: Self.student())
        try full.train(resume: false) { _ in }
        struct Killed: Error {}
        let first = try Trainer(config: Self.config(saveEvery: 3), data: data, run: RunDirectory(b), student: Self.student())
        #expect(throws: Killed.self) { try first.train(resume: false) { if $0.step == 7 { throw Killed() } } }  // last save at 6
        let second = try Trainer(config: Self.config(saveEvery: 3), data: data, run: RunDirectory(b), student: Self.student())
        try second.train(resume: true) { _ in }
        try Self.expectSameRun(full, in: a, as: second, in: b)
    }

    @Test("the first metrics line after a resume off a --log-every boundary records the fewer steps it averages")
    func metricsLineAfterResumeSaysHowManyStepsItAverages() throws {
        let dir = try Fixtures.temporaryDirectory("resume-metrics")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Self.config(saveEvery: 3)
        config.logEvery = 4
        let data = SyntheticData(rows: 8, config: Self.model)
        struct Killed: Error {}
        let first = try Trainer(config: config, data: data, run: RunDirectory(dir), student: Self.student())
        #expect(throws: Killed.self) { try first.train(resume: false) { if $0.step == 7 { throw Killed() } } }  // last save at 6
        try Trainer(config: config, data: data, run: RunDirectory(dir), student: Self.student()).train(resume: true) { _ in }
        let lines = try RunDirectory(dir).readMetrics()
        #expect(lines.map(\.step) == [4, 8, 12])
        // Step 4 averages steps 1-4; the resumed run starts after step 6, so its line at 8 averages 7 and 8 only.
        #expect(lines.map(\.stepsAveraged) == [4, 2, 4])
    }

    /// The two runs logged the same steps and losses and ended with the same weights.
    static func expectSameRun(_ full: Trainer, in a: URL, as resumed: Trainer, in b: URL) throws {
        let ma = try RunDirectory(a).readMetrics(), mb = try RunDirectory(b).readMetrics()
        #expect(ma.map(\.step) == mb.map(\.step))
        #expect(ma.map(\.loss) == mb.map(\.loss), "identical losses step by step")
        var sa = full.student, sb = resumed.student
        var wa: [Float] = [], wb: [Float] = []
        sa.visitParameters(prefix: "") { _, p in wa += p.value.storage }
        sb.visitParameters(prefix: "") { _, p in wb += p.value.storage }
        #expect(wa == wb, "identical final weights")
    }

    @Test("a NaN in a target stops the run with a clear error and leaves the last checkpoint intact")
    func nanStops() throws {
        let dir = try Fixtures.temporaryDirectory("nan")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = SyntheticData(rows: 8, config: Self.model)
        let trainer = try Trainer(config: Self.config(saveEvery: 2), data: data, run: RunDirectory(dir), student: Self.student())
        var poisoned = false
        do {
            try trainer.train(resume: false) { p in
                if p.step == 4 && !poisoned {
                    poisoned = true
                    data.poisonRow = 0
                }  // every later batch holding row 0 is poisoned
            }
            Issue.record("expected the run to stop")
        } catch let error as DistillError {
            guard case .nonFiniteLoss(let step, _) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(step >= 4)
            #expect(error.description.contains("non-finite"))
        }
        let saved = try SafeTensorsProbe.step(of: RunDirectory(dir).checkpointURL)
        #expect(saved >= 4 && saved % 2 == 0)
        var s = Self.student(), opt = AdamW()
        #expect(try RunDirectory(dir).loadCheckpoint(into: &s, optimizer: &opt) == saved)
        var finite = true
        s.visitParameters(prefix: "") { _, p in finite = finite && p.value.isFinite }
        #expect(finite)
    }

    /// Trains a short run in `dir`, then resumes it with `change` applied to its config: the error that resume
    /// throws, or nil when it resumes.
    static func resumeError(in dir: URL, _ change: (inout TrainConfig) -> Void) throws -> DistillError? {
        let data = SyntheticData(rows: 8, config: model)
        try Trainer(config: config(epochs: 2, saveEvery: 2), data: data, run: RunDirectory(dir), student: student()).train(resume: false) { _ in }
        var other = config(epochs: 2, saveEvery: 2)
        change(&other)
        do {
            try Trainer(config: other, data: data, run: RunDirectory(dir), student: student()).train(resume: true) { _ in }
            return nil
        } catch let error as DistillError {
            return error
        }
    }

    @Test("resuming removes the checkpoint temporary a killed save left, and keeps one of a live writer")
    func resumeRemovesDeadTemporary() throws {
        let dir = try Fixtures.temporaryDirectory("resume-temporaries")
        defer { try? FileManager.default.removeItem(at: dir) }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gethostname(&buffer, buffer.count - 1)
        let host = String(cString: buffer)
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let uuid = "0A1B2C3D-4E5F-4061-8293-A4B5C6D7E8F9"
        let dead = dir.appendingPathComponent(".checkpoint.safetensors.tmp-\(exited.processIdentifier)@\(host)-\(uuid)")
        let live = dir.appendingPathComponent(".checkpoint.safetensors.tmp-\(getpid())@\(host)-\(uuid)")
        let error = try Self.resumeError(in: dir) { _ in
            try? Data(repeating: 1, count: 4096).write(to: dead)
            try? Data(repeating: 1, count: 4096).write(to: live)
        }
        #expect(error == nil, "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: dead.path), "the dead writer's temporary is removed on resume")
        #expect(FileManager.default.fileExists(atPath: live.path), "a live writer's temporary is kept")
    }

    @Test("a run checkpoint's optimizer steps are written in key order, so that the same run writes the same bytes")
    func checkpointMetadataIsOrdered() throws {
        let dir = try Fixtures.temporaryDirectory("ordered-metadata")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = SyntheticData(rows: 8, config: Self.model)
        try Trainer(config: Self.config(epochs: 1, saveEvery: 1), data: data, run: RunDirectory(dir), student: Self.student())
            .train(resume: false) { _ in }
        let text = try #require(try SafeTensors.read(RunDirectory(dir).checkpointURL).metadata["adam_steps"])
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Int]).keys
        #expect(keys.count > 10)
        let written = keys.sorted { text.range(of: "\"\($0)\"")!.lowerBound < text.range(of: "\"\($1)\"")!.lowerBound }
        #expect(written == keys.sorted(), "\(text)")
    }

    @Test("resuming with other settings is refused, naming the fields")
    func resumeWithOtherSettings() throws {
        let dir = try Fixtures.temporaryDirectory("resume-other")
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(
            try Self.resumeError(in: dir) {
                $0.baseLR = 0.01
                $0.seed = 9
            }, "expected a refusal")
        #expect(error.description.contains("--lr: saved 0.05, requested 0.01"), "\(error)")
        #expect(error.description.contains("--seed: saved 7, requested 9"), "\(error)")
        #expect(error.description.contains("trajectory"), "the refusal says why: \(error)")
    }

    @Test("a finished run extended with --epochs continues from its step on the schedule rebuilt for the new total")
    func resumeWithMoreEpochs() throws {
        let dir = try Fixtures.temporaryDirectory("resume-extend")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = SyntheticData(rows: 8, config: Self.model)
        let first = try Trainer(config: Self.config(epochs: 2, saveEvery: 2), data: data, run: RunDirectory(dir), student: Self.student())
        try first.train(resume: false) { _ in }
        let finished = try RunDirectory(dir).readMetrics()
        #expect(first.totalSteps == 4 && finished.map(\.step) == [1, 2, 3, 4])
        let longer = Self.config(epochs: 4, saveEvery: 2)
        let second = try Trainer(config: longer, data: data, run: RunDirectory(dir), student: Self.student())
        var said: [String] = [], steps: [Int] = []
        try second.train(resume: true, announce: { said.append($0) }) { steps.append($0.step) }
        #expect(steps == [5, 6, 7, 8], "continues from the saved step 4")
        #expect(said.count == 1 && said[0].contains("--epochs 4 instead of 2") && said[0].contains("step 4"), "\(said)")
        let metrics = try RunDirectory(dir).readMetrics()
        #expect(metrics.prefix(4) == finished[...], "the first run's lines are kept")
        let schedule = CosineSchedule(
            base: longer.peakLR, final: longer.floorLR, epochs: 4, stepsPerEpoch: 2, warmupEpochs: longer.warmupEpochs)
        for record in metrics.dropFirst(4) {
            #expect(record.lr == schedule.value(at: record.step - 1), "lr of step \(record.step) follows the 4-epoch schedule")
        }
        #expect(try SafeTensorsProbe.step(of: RunDirectory(dir).checkpointURL) == 8)
        let saved = try RunDirectory(dir).readConfig()
        #expect(saved.epochs == 4)
        #expect(saved.history == [ConfigChange(step: 4, flag: "--epochs", from: 2, to: 4)])
        var expected = longer
        expected.history = saved.history
        #expect(saved == expected)
    }

    @Test("resuming with another --warmup-epochs, --log-every or --save-every is accepted; shortening below the step is refused")
    func resumeWithScheduleAndInertChanges() throws {
        let dir = try Fixtures.temporaryDirectory("resume-inert")
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try Self.resumeError(in: dir) {
            $0.warmupEpochs = 0
            $0.logEvery = 2
            $0.saveEvery = 3
        }
        #expect(error == nil, "\(String(describing: error))")
        #expect(try RunDirectory(dir).readConfig().history == [ConfigChange(step: 4, flag: "--warmup-epochs", from: 1, to: 0)])
        let shorter = try Fixtures.temporaryDirectory("resume-shorter")
        defer { try? FileManager.default.removeItem(at: shorter) }
        let refused = try #require(try Self.resumeError(in: shorter) { $0.epochs = 1 }, "expected a refusal")
        #expect(refused.description.contains("--epochs 1 ends at step 2, before the checkpoint's step 4"), "\(refused)")
    }

    @Test("resuming in another precision is refused; a config.json without a precision reads as fp32")
    func resumeInOtherPrecision() throws {
        let dir = try Fixtures.temporaryDirectory("resume-precision")
        defer { try? FileManager.default.removeItem(at: dir) }
        let error = try #require(try Self.resumeError(in: dir) { $0.precision = .bf16 }, "expected a refusal")
        #expect(error.description.contains("precision"), "\(error)")
        let run = RunDirectory(dir)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: run.configURL)) as? [String: Any])
        #expect(object["precision"] as? String == "fp32")
        object["precision"] = nil
        try JSONSerialization.data(withJSONObject: object).write(to: run.configURL)
        #expect(try run.readConfig() == Self.config(epochs: 2, saveEvery: 2))
    }

    @Test("resuming a folder without a checkpoint is refused, naming the path, and leaves the folder as it was")
    func resumeWithoutCheckpoint() throws {
        let dir = try Fixtures.temporaryDirectory("resume-nothing")
        let data = SyntheticData(rows: 8, config: Self.model)
        try Data("{}\n".utf8).write(to: RunDirectory(dir).metricsURL)
        do {
            try Trainer(config: Self.config(epochs: 2), data: data, run: RunDirectory(dir), student: Self.student()).train(resume: true) { _ in }
            Issue.record("expected a refusal")
        } catch let error as DistillError {
            #expect(error.description.contains(RunDirectory(dir).checkpointURL.path), "\(error)")
        }
        #expect(try Data(contentsOf: RunDirectory(dir).metricsURL) == Data("{}\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: RunDirectory(dir).checkpointURL.path))
    }

    @Test("too little data for one step is refused")
    func tooLittleData() throws {
        #expect(throws: DistillError.notEnoughData(videos: 3, batch: 4)) {
            try Trainer(
                config: Self.config(), data: SyntheticData(rows: 3, config: Self.model),
                run: RunDirectory(FileManager.default.temporaryDirectory), student: Self.student())
        }
    }
}

enum SafeTensorsProbe {
    static func step(of url: URL) throws -> Int { Int(try SafeTensors.read(url).metadata["step"] ?? "") ?? -1 }
}

/// Clips of one uniform random colour each: a masked patch can only be predicted from the visible ones.
final class UniformColourData: TrainingData {
    let clips: [Tensor]
    var rowCount: Int { clips.count }

    init(rows: Int, config: ModelConfig, seed: UInt64 = 3) {
        var rng = SplitMix64(seed: seed)
        let pixels = config.numFrames * config.inputSize * config.inputSize
        clips = (0..<rows).map { _ in
            let colour = Tensor.uniform([3], bound: 1.5, using: &rng).storage
            return Tensor(
                shape: [1, 3, config.numFrames, config.inputSize, config.inputSize],
                colour.flatMap { [Float](repeating: $0, count: pixels) })
        }
    }

    /// Mean squared error of predicting every clip's [0, 1] pixels by the mean colour over all clips: the
    /// best a model can do without looking at the visible patches.
    var contextFreeLoss: Double {
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        let colours = clips.map { c in (0..<3).map { Double(c.storage[$0 * c.count / 3] * std[$0] + mean[$0]) } }
        return (0..<3).map { ch in
            let m = colours.map { $0[ch] }.reduce(0, +) / Double(colours.count)
            return colours.map { ($0[ch] - m) * ($0[ch] - m) }.reduce(0, +) / Double(colours.count)
        }.reduce(0, +) / 3
    }

    func load(rows: [Int]) throws -> TrainingBatch {
        TrainingBatch(clips: Tensor(shape: [rows.count] + Array(clips[0].shape.dropFirst()), rows.flatMap { clips[$0].storage }))
    }
}

@Suite("the student learns from context")
struct ContextTests {
    @Test("masked patches of a uniform clip are predicted from its visible patches")
    func usesVisiblePatches() throws {
        let model = TrainerTests.model
        let dir = try Fixtures.temporaryDirectory("context")
        let data = UniformColourData(rows: 16, config: model)
        let config = TrainConfig(
            model: model, architecture: "custom", positionEncoding: .sinusoid1D, objective: .pixels(.raw),
            mask: .random, maskRatio: 0.5, epochs: 60, batchSize: 4, baseLR: 0.1, minLR: 0.001,
            warmupEpochs: 5, dropPath: 0, seed: 5, saveEvery: 10_000, logEvery: 10)
        var rng = SplitMix64(seed: 9)
        let student = Student(
            fresh: model, branches: Objective.pixels(.raw).branches(teacherWidths: [:], geometry: config.geometry),
            positionEncoding: .sinusoid1D, using: &rng)
        let trainer = try Trainer(config: config, data: data, run: RunDirectory(dir), student: student)
        try trainer.train(resume: false) { _ in }
        let last = try RunDirectory(dir).readMetrics().suffix(3).map(\.loss).reduce(0, +) / 3
        #expect(last < 0.2 * data.contextFreeLoss, "loss \(last) against \(data.contextFreeLoss) without context")
    }
}
