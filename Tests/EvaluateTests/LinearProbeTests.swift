import Tensor
import TestSupport
import Testing

@testable import Evaluate

@Suite("linear probe")
struct LinearProbeTests {
    @Test("separable class directions give 100% top-1 and a falling loss")
    func separable() throws {
        let d = SyntheticFeatures.separableSplit(train: 300, val: 120, classes: 6, dimensions: 24, seed: 11)
        let result = try evaluateLinearProbe(
            run: "sep", trainFeatures: d.train, trainLabels: d.trainLabels, valFeatures: d.val,
            valLabels: d.valLabels, classCount: 6)
        #expect(result.top1 == 100, "loss curve \(result.trainingLoss ?? [])")
        let loss = try #require(result.trainingLoss)
        #expect(loss.count > 10 && loss.last! < 0.2 * loss.first!, "loss \(loss.first!) → \(loss.last!)")
    }

    @Test("random features with random labels give chance-level val accuracy (within 15–35% for 4 classes)")
    func chance() throws {
        var rng = SplitMix64(seed: 12)
        let (train, trainLabels) = SyntheticFeatures.random(rows: 800, classes: 4, dimensions: 16, using: &rng)
        let (val, valLabels) = SyntheticFeatures.random(rows: 1000, classes: 4, dimensions: 16, using: &rng)
        let result = try evaluateLinearProbe(
            run: "rnd", trainFeatures: train, trainLabels: trainLabels, valFeatures: val,
            valLabels: valLabels, classCount: 4,
            configuration: LinearProbeConfiguration(epochs: 30, batchSize: 128))
        #expect(result.top1 > 15 && result.top1 < 35, "top-1 \(result.top1)")
    }

    @Test("training is deterministic for a seed and the seed changes the trajectory")
    func determinism() throws {
        var rng = SplitMix64(seed: 13)
        let (x, y) = SyntheticFeatures.random(rows: 200, classes: 3, dimensions: 8, using: &rng)
        let config = LinearProbeConfiguration(epochs: 5, batchSize: 32, seed: 7)
        let a = try LinearProbe.train(features: x, labels: y, classCount: 3, configuration: config)
        let b = try LinearProbe.train(features: x, labels: y, classCount: 3, configuration: config)
        var other = config
        other.seed = 8
        let c = try LinearProbe.train(features: x, labels: y, classCount: 3, configuration: other)
        #expect(a.lossCurve == b.lossCurve && a.probe.linear.weight.value == b.probe.linear.weight.value)
        #expect(a.lossCurve != c.lossCurve)
    }

    @Test("training stops early once the loss stops changing")
    func earlyStop() throws {
        var rng = SplitMix64(seed: 14)
        let (x, y) = SyntheticFeatures.separable(rows: 60, classes: 3, dimensions: 6, noise: 0.05, using: &rng)
        let t = try LinearProbe.train(
            features: x, labels: y, classCount: 3,
            configuration: LinearProbeConfiguration(epochs: 400, learningRate: 0.05, tolerance: 1e-3, patience: 3))
        #expect(t.stoppedEarly && t.lossCurve.count < 400)
        let n = t.lossCurve.count
        #expect(t.lossCurve[(n - 3)...].indices.dropFirst().allSatisfy { abs(t.lossCurve[$0] - t.lossCurve[$0 - 1]) < 1e-3 })
    }

    @Test("standardisation uses train statistics and leaves constant features centred, not divided by zero")
    func standardizer() {
        let s = Standardizer(fitting: Tensor(shape: [2, 2], [1, 5, 3, 5]))
        #expect(s.mean == [2, 5] && s.std == [1, 1])
        #expect(s.apply(Tensor(shape: [1, 2], [4, 6])).storage == [2, 1])
    }

    @Test("invalid settings are refused with the setting's name")
    func settings() {
        let x = Tensor(shape: [2, 1], [0, 1])
        #expect(throws: EvaluateError.invalidSetting(name: "epochs", value: "0", expected: "at least 1")) {
            try LinearProbe.train(features: x, labels: [0, 1], classCount: 2, configuration: LinearProbeConfiguration(epochs: 0))
        }
    }
}
