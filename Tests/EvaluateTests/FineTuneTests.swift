import Foundation
import Models
import Tensor
import Testing
import TestSupport
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
                    clip.pixels[3 * p] = UInt8(clamping: Int(c.0) + noise); clip.pixels[3 * p + 1] = UInt8(clamping: Int(c.1) + noise)
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
        ft.epochs = 6; ft.batchSize = 4; ft.baseLR = 0.5; ft.warmupEpochs = 1; ft.samplingRate = 2; ft.testSegments = 2; ft.testCrops = 2
        ft.mixup = true
        let tuner = FineTuner(model: model, config: ft)
        var losses: [Double] = []
        try tuner.train(entries, classes: 3) { _, _, loss in losses.append(loss) }
        #expect(losses.last! < losses.first!, "loss falls: \(losses.first!) → \(losses.last!)")
        let views = tuner.test(entries)
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
}
