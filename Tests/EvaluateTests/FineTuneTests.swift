import Foundation
import Models
import Tensor
import TestSupport
import Testing
import VideoIO

@testable import Evaluate

/// Fine-tuning on a tiny generated dataset whose answer is known: each class is a solid colour.
@Suite("fine-tuning protocol", .serialized)
struct FineTuneTests {
    static let config = ModelConfig(embedDim: 32, depth: 1, numHeads: 2, patchSize: 8, inputSize: 32, numFrames: 4)

    static func dataset(in dir: URL, perClass: Int) throws -> [ManifestEntry] {
        let colours: [(UInt8, UInt8, UInt8)] = [(220, 30, 30), (30, 200, 40), (40, 60, 230)]
        var entries: [ManifestEntry] = []
        var rng = SplitMix64(seed: 4)
        for (label, c) in colours.enumerated() {
            for i in 0..<perClass {
                var clip = Clip(frameCount: 12, height: 40, width: 48)
                for p in 0..<(12 * 40 * 48) {
                    let noise = Int(rng.next() % 21) - 10
                    clip.pixels[3 * p] = UInt8(clamping: Int(c.0) + noise)
                    clip.pixels[3 * p + 1] = UInt8(clamping: Int(c.1) + noise)
                    clip.pixels[3 * p + 2] = UInt8(clamping: Int(c.2) + noise)
                }
                let name = "c\(label)_\(i).mkv"
                try VideoEncoder.write(clip, to: dir.appendingPathComponent(name).path, options: EncodeOptions(codec: .ffv1))
                entries.append(ManifestEntry(path: name, label: label, resolvedPath: dir.appendingPathComponent(name).path))
            }
        }
        return entries
    }

    @Test("a few epochs separate solid-colour classes; the multi-view test scores every video once")
    func separatesColours() throws {
        let dir = try Fixtures.temporaryDirectory("finetune")
        defer { try? FileManager.default.removeItem(at: dir) }
        let entries = try Self.dataset(in: dir, perClass: 4)
        var rng = SplitMix64(seed: 1)
        let student = Student(fresh: Self.config, branches: [], using: &rng)
        let model = Classifier(encoderOf: student, classes: 3, initScale: 1, using: &rng)
        var ft = FineTuneConfig()
        ft.epochs = 6
        ft.batchSize = 4
        ft.baseLR = 0.5
        ft.warmupEpochs = 1
        ft.samplingRate = 2
        ft.testSegments = 2
        ft.testCrops = 2
        ft.mixup = true
        let tuner = FineTuner(model: model, config: ft)
        var losses: [Double] = []
        try tuner.train(entries, classes: 3) { _, _, loss in losses.append(loss) }
        #expect(losses.last! < losses.first!, "loss falls: \(losses.first!) → \(losses.last!)")
        let broken = dir.appendingPathComponent("broken.mkv")
        try Data("not a video".utf8).write(to: broken)
        let (views, skipped) = tuner.test(entries + [ManifestEntry(path: "broken.mkv", label: 0, resolvedPath: broken.path)])
        #expect(skipped.map(\.path) == ["broken.mkv"], "\(skipped)")
        #expect(views.count == entries.count * 4)
        let result = try evaluateMultiView(run: "colours", views: views)
        #expect(result.evaluatedCount == entries.count)
        #expect(result.top1 >= 99, "top-1 \(result.top1)")
    }

    @Test("layer-wise decay: patch embedding ρ^(depth+1), block i ρ^(depth−i), head 1; no decay on biases and norms")
    func layerDecay() {
        let p = fineTuneGroup(name: "patch_embed.proj.weight", shape: [8, 4], depth: 12, layerDecay: 0.75)
        #expect(abs(p.lrScale - Float(pow(0.75, 13.0))) < 1e-7 && p.weightDecay)
        #expect(abs(fineTuneGroup(name: "blocks.11.mlp.fc1.weight", shape: [8, 4], depth: 12, layerDecay: 0.75).lrScale - 0.75) < 1e-7)
        #expect(fineTuneGroup(name: "head.weight", shape: [5, 8], depth: 12, layerDecay: 0.75).lrScale == 1)
        #expect(!fineTuneGroup(name: "fc_norm.weight", shape: [8], depth: 12, layerDecay: 0.75).weightDecay)
        #expect(!fineTuneGroup(name: "blocks.0.attn.q_bias", shape: [8], depth: 12, layerDecay: 0.75).weightDecay)
        let t = smoothedTargets([1], classes: 4, smoothing: 0.1)
        #expect(abs(t.storage[1] - 0.925) < 1e-6 && abs(t.storage[0] - 0.025) < 1e-6)
    }

    static func tuner(_ change: (inout FineTuneConfig) -> Void) -> FineTuner {
        var rng = SplitMix64(seed: 1)
        let student = Student(fresh: config, branches: [], using: &rng)
        var ft = FineTuneConfig()
        change(&ft)
        return FineTuner(model: Classifier(encoderOf: student, classes: 3, initScale: 1, using: &rng), config: ft)
    }

    static func gradients(_ tuner: FineTuner) -> [String: [Float]] {
        var model = tuner.model, out: [String: [Float]] = [:]
        model.visitParameters(prefix: "") { name, p in out[name] = p.grad.storage }
        return out
    }

    /// The tolerance is float32 rounding: the batch-of-4 products sum four samples' terms in one order, the two
    /// micro-batches sum two at a time and add the halves afterwards, and each reordered sum of n terms can differ
    /// by a few units in the last place (2^-24 ≈ 6e-8) of its largest term, compounded through one block. A missing
    /// 1 / accumulate would make every gradient twice as large. Measured: 7e-7 of the largest gradient.
    @Test("two micro-batches of 2 give the gradients of one batch of 4 (same clips, same order)")
    func accumulationMatchesBatch() throws {
        var rng = SplitMix64(seed: 5)
        let frame = 3 * 4 * 32 * 32
        let clips = Tensor(shape: [4, 3, 4, 32, 32], (0..<(4 * frame)).map { _ in rng.nextNormal() })
        let targets = smoothedTargets([0, 2, 1, 2], classes: 3, smoothing: 0.1)
        func half(_ t: Tensor, _ h: Int) -> Tensor {
            let per = t.count / t.shape[0]
            return Tensor(shape: [2] + t.shape.dropFirst(), Array(t.storage[(2 * h * per)..<(2 * (h + 1) * per)]))
        }
        let whole = Self.tuner {
            $0.batchSize = 4
            $0.dropPath = 0
        }
        let wholeLoss = try whole.accumulateGradients(clips, targets, dropRng: SplitMix64(seed: 0), epoch: 0)
        let split = Self.tuner {
            $0.batchSize = 2
            $0.accumulate = 2
            $0.dropPath = 0
        }
        var splitLoss = 0.0
        for h in 0..<2 { splitLoss += try split.accumulateGradients(half(clips, h), half(targets, h), dropRng: SplitMix64(seed: 0), epoch: 0) }
        #expect(abs(wholeLoss - splitLoss) <= 1e-6 * abs(wholeLoss), "loss \(wholeLoss) vs \(splitLoss)")
        let a = Self.gradients(whole), b = Self.gradients(split)
        #expect(a.keys.sorted() == b.keys.sorted() && !a.isEmpty)
        var worst: Float = 0
        for (name, g) in a {
            let h = try #require(b[name])
            #expect(g.count == h.count && !g.isEmpty, "\(name) has no gradient")
            let scale = max(g.map(abs).max() ?? 0, 1e-6)
            for (x, y) in zip(g, h) { worst = max(worst, abs(x - y) / scale) }
        }
        #expect(worst <= 1e-5, "largest gradient difference, relative to each tensor's largest gradient: \(worst)")
    }

    @Test("the lr scales with batch × accumulate; an epoch is as many total batches as the videos fill; 5 warm-up epochs")
    func totalBatchScaling() throws {
        let tuner = Self.tuner {
            $0.batchSize = 2
            $0.accumulate = 3
            $0.epochs = 10
        }
        #expect(tuner.config.warmupEpochs == 5)
        let (schedule, steps) = try tuner.schedule(videos: 25)
        #expect(steps == 4)
        #expect(abs(schedule.base - 5e-4 * 6 / 256) < 1e-15 && abs(schedule.final - 1e-6 * 6 / 256) < 1e-18)
        #expect(schedule.warmupSteps == 20 && schedule.totalSteps == 40)
        #expect(schedule.value(at: 0) == 0 && abs(schedule.value(at: 19) - schedule.base) < 1e-15)
        #expect(throws: EvaluateError.self) { try tuner.schedule(videos: 5) }
    }

    @Test("accumulation trains end to end: one optimiser step per total batch")
    func accumulatedTraining() throws {
        let dir = try Fixtures.temporaryDirectory("finetune-accumulate")
        defer { try? FileManager.default.removeItem(at: dir) }
        let entries = try Self.dataset(in: dir, perClass: 3)
        let tuner = Self.tuner {
            $0.epochs = 2
            $0.batchSize = 2
            $0.accumulate = 2
            $0.warmupEpochs = 1
            $0.fcDropout = 0.5
        }
        var steps: [Int] = []
        try tuner.train(entries, classes: 3) { step, total, loss in
            steps.append(step)
            #expect(total == 4 && loss.isFinite)
        }
        #expect(steps == [1, 2, 3, 4])
    }

    @Test("the defaults are the K400 recipe: dense sampler at rate 4, flips, 5 × 3 test views, mixup on")
    func kineticsDefaults() {
        let tuner = Self.tuner { _ in }
        let c = tuner.config
        #expect(c.dataset == .k400 && c.flip && c.mixup && c.samplingRate == 4 && c.testSegments == 5 && c.testCrops == 3)
        var rng = SplitMix64(seed: 8), copy = rng
        let view = tuner.trainingView(frameCount: 300, width: 64, height: 48, using: &rng)
        #expect(view.frames == TemporalSampling.kineticsDense(frameCount: 300, clipLength: 4, samplingRate: 4, using: &copy))
        #expect(
            tuner.testViews(frameCount: 300, width: 64, height: 48)
                == TestViews.kinetics(frameCount: 300, width: 64, height: 48, clipLength: 4, samplingRate: 4, segments: 5, crops: 3, inputSize: 32))
    }

    @Test("--dataset ssv2: the segment sampler, never a flip, 2 × 3 test views; a flip is refused")
    func somethingSomething() throws {
        let tuner = Self.tuner { $0 = FineTuneConfig(dataset: .ssv2) }
        #expect(!tuner.config.flip && tuner.config.testSegments == 2 && tuner.config.testCrops == 3)
        try tuner.config.validate()
        var rng = SplitMix64(seed: 8)
        for _ in 0..<50 {
            var copy = rng
            let view = tuner.trainingView(frameCount: 90, width: 64, height: 48, using: &rng)
            #expect(view.frames == TemporalSampling.somethingSomething(frameCount: 90, segments: 4, using: &copy))
            #expect(!view.flip)
        }
        let views = tuner.testViews(frameCount: 90, width: 64, height: 48)
        #expect(views.count == 6)
        #expect(views == TestViews.somethingSomething(frameCount: 90, width: 64, height: 48, clipLength: 4, segments: 2, crops: 3, inputSize: 32))
        var flipped = tuner.config
        flipped.flip = true
        #expect(throws: EvaluateError.self) { try flipped.validate() }
    }
}
