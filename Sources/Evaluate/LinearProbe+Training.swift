import Foundation
import Tensor

extension LinearProbe {
    /// Trains a probe on `features` [N, D] with `labels` in 0..<classCount. Deterministic for a given seed.
    ///
    /// The weight starts as a truncated normal (std 0.01, as MAE's probe head), the bias at zero. Each step
    /// minimises the mean cross-entropy of a mini-batch; the reported loss of an epoch is the mean over its samples.
    public static func train(
        features: Tensor, labels: [Int], classCount: Int,
        configuration: LinearProbeConfiguration = LinearProbeConfiguration()
    ) throws -> LinearProbeTraining {
        try configuration.validate()
        let (n, d) = try FeatureChecks.matrix(features, "train")
        try FeatureChecks.labels(labels, rows: n, classCount: classCount, "train labels")
        let standardizer = Standardizer(fitting: features)
        let inputs = standardizer.apply(features)
        var rng = SplitMix64(seed: configuration.seed)
        var linear = Linear(
            weight: Tensor.truncatedNormal([classCount, d], std: 0.01, limit: 0.02, using: &rng),
            bias: Tensor(shape: [classCount]))
        var optimizer = AdamW(beta1: 0.9, beta2: 0.999, eps: 1e-8)
        let stepsPerEpoch = (n + configuration.batchSize - 1) / configuration.batchSize
        let schedule = CosineSchedule(
            base: configuration.learningRate, final: configuration.finalLearningRate,
            epochs: configuration.epochs, stepsPerEpoch: stepsPerEpoch,
            warmupEpochs: configuration.warmupEpochs)
        var order = Array(0..<n), curve: [Double] = [], calmEpochs = 0, step = 0
        for epoch in 0..<configuration.epochs {
            shuffle(&order, using: &rng)
            var total = 0.0
            for start in stride(from: 0, to: n, by: configuration.batchSize) {
                let batch = Array(order[start..<min(n, start + configuration.batchSize)])
                let (x, targets) = gather(batch, inputs: inputs, labels: labels, classCount: classCount)
                let (logits, cache) = linear.forward(x)
                let (loss, grad) = softTargetCrossEntropy(logits: logits, targets: targets)
                guard loss.isFinite else { throw EvaluateError.nonFiniteLoss(epoch: epoch) }
                linear.zeroGrad()
                linear.backward(grad, cache, needInputGrad: false)
                optimizer.step(&linear, lr: Float(schedule.value(at: step)), weightDecay: Float(configuration.weightDecay)) {
                    mvdDecayGroup(name: $0, shape: $1, skip: [])
                }
                total += loss * Double(batch.count)
                step += 1
            }
            curve.append(total / Double(n))
            if curve.count >= 2, abs(curve[curve.count - 1] - curve[curve.count - 2]) < configuration.tolerance {
                calmEpochs += 1
            } else {
                calmEpochs = 0
            }
            if calmEpochs >= configuration.patience { break }
        }
        let probe = LinearProbe(standardizer: standardizer, linear: linear)
        return LinearProbeTraining(probe: probe, lossCurve: curve, stoppedEarly: curve.count < configuration.epochs)
    }

    /// Fisher–Yates with the package's generator, so the order depends only on the seed.
    static func shuffle(_ items: inout [Int], using rng: inout SplitMix64) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            items.swapAt(i, j)
        }
    }

    /// Rows `batch` of `inputs` [N, D] and their one-hot targets [B, K].
    static func gather(_ batch: [Int], inputs: Tensor, labels: [Int], classCount: Int) -> (Tensor, Tensor) {
        let d = inputs.shape[1]
        var x = Tensor(shape: [batch.count, d]), targets = Tensor(shape: [batch.count, classCount])
        for (i, row) in batch.enumerated() {
            x.storage.replaceSubrange((i * d)..<((i + 1) * d), with: inputs.storage[(row * d)..<((row + 1) * d)])
            targets.storage[i * classCount + labels[row]] = 1
        }
        return (x, targets)
    }
}
