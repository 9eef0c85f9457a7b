import Tensor
import Testing

@testable import Models

/// Dropout between fc_norm and the head: active in the training forward (and its backward), absent at evaluation.
@Suite struct ClassifierDropoutTests {
    static let config = ModelConfig(embedDim: 32, depth: 1, numHeads: 2, patchSize: 8, inputSize: 16, numFrames: 2)

    static func model(fcDropout: Float) -> Classifier {
        var rng = SplitMix64(seed: 3)
        let student = Student(fresh: config, branches: [], using: &rng)
        var model = Classifier(encoderOf: student, classes: 5, initScale: 1, using: &rng)
        model.fcDropout = fcDropout
        return model
    }

    static func clips() -> Tensor {
        var rng = SplitMix64(seed: 9)
        return Tensor(shape: [3, 3, 2, 16, 16], (0..<(3 * 3 * 2 * 16 * 16)).map { _ in rng.nextNormal() })
    }

    @Test("training drops pooled features (kept ones ×2 at rate 0.5) before the head, and the backward uses the same mask")
    func activeInTraining() throws {
        var model = Self.model(fcDropout: 0.5)
        let x = Self.clips()
        var rng = SplitMix64(seed: 1)
        let (logits, cache) = model.forward(x, using: &rng)
        let mask = try #require(cache.dropMask)
        #expect(mask.storage.allSatisfy { $0 == 0 || $0 == 2 })
        #expect(mask.storage.contains(0) && mask.storage.contains(2), "\(mask.storage)")
        // The logits are the head of the masked normalised features.
        let normed = model.fcNorm(model.pooledFeatures(x))
        var masked = normed
        for i in 0..<masked.count { masked.storage[i] *= mask.storage[i] }
        let expected = model.head(masked)
        for i in 0..<logits.count { #expect(abs(logits.storage[i] - expected.storage[i]) <= 1e-5 * max(1, abs(expected.storage[i]))) }
        // fc_norm's bias gradient is the sum over the batch of (dLogits · W) ⊙ mask: dropped features get none.
        let dLogits = Tensor(shape: logits.shape, (0..<logits.count).map { Float($0 % 7) - 3 })
        model.zeroGrad()
        model.backward(dLogits, cache)
        let (b, d, k) = (logits.shape[0], Self.config.embedDim, logits.shape[1])
        var biasGrad = [Float](repeating: 0, count: d)
        for s in 0..<b {
            for j in 0..<d {
                var g: Float = 0
                for c in 0..<k { g += dLogits.storage[s * k + c] * model.head.weight.value.storage[c * d + j] }
                biasGrad[j] += g * mask.storage[s * d + j]
            }
        }
        let got = model.fcNorm.bias!.grad.storage
        for j in 0..<d { #expect(abs(got[j] - biasGrad[j]) <= 1e-4 * max(1, abs(biasGrad[j])), "feature \(j): \(got[j]) vs \(biasGrad[j])") }
    }

    @Test("evaluation keeps every feature unscaled: the same logits as without dropout, and no draw from a rate of 0")
    func inactiveAtEvaluation() {
        let x = Self.clips()
        let with = Self.model(fcDropout: 0.5)(x), without = Self.model(fcDropout: 0)(x)
        #expect(with.storage == without.storage)
        var rng = SplitMix64(seed: 1)
        let (_, cache) = Self.model(fcDropout: 0).forward(x, using: &rng)
        #expect(cache.dropMask == nil)
        #expect(rng == SplitMix64(seed: 1), "a rate of 0 must leave the generator where it was")
    }
}
