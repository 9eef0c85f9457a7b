import Foundation
import Tensor

/// Settings of the linear probe (multinomial logistic regression on frozen features).
///
/// Defaults: 100 epochs of mini-batches of 256 (shuffled each epoch from `seed`), AdamW (β 0.9/0.999) with a
/// half-cosine learning rate from 0.01 to 0 and no warm-up, weight decay 1e-4 on the weight only, and an
/// early stop once the epoch loss changes by less than `tolerance` for `patience` epochs in a row. With
/// standardised inputs the problem is convex and these settings converge on separable and noisy data alike.
public struct LinearProbeConfiguration: Codable, Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var finalLearningRate: Double
    public var warmupEpochs: Int
    public var weightDecay: Double
    /// Early stop when |loss(epoch) − loss(epoch − 1)| < tolerance for `patience` consecutive epochs.
    public var tolerance: Double
    public var patience: Int
    public var seed: UInt64

    public init(
        epochs: Int = 100, batchSize: Int = 256, learningRate: Double = 1e-2, finalLearningRate: Double = 0,
        warmupEpochs: Int = 0, weightDecay: Double = 1e-4, tolerance: Double = 1e-5, patience: Int = 5,
        seed: UInt64 = 0
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.finalLearningRate = finalLearningRate
        self.warmupEpochs = warmupEpochs
        self.weightDecay = weightDecay
        self.tolerance = tolerance
        self.patience = patience
        self.seed = seed
    }

    func validate() throws {
        func require(_ ok: Bool, _ name: String, _ value: Any, _ expected: String) throws {
            if !ok { throw EvaluateError.invalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        try require(epochs >= 1, "epochs", epochs, "at least 1")
        try require(batchSize >= 1, "batchSize", batchSize, "at least 1")
        try require(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate, "a positive number such as 0.01")
        try require(finalLearningRate >= 0 && finalLearningRate <= learningRate, "finalLearningRate", finalLearningRate, "0 … learningRate")
        try require(warmupEpochs >= 0 && warmupEpochs <= epochs, "warmupEpochs", warmupEpochs, "0 … epochs")
        try require(weightDecay >= 0, "weightDecay", weightDecay, "0 or more")
        try require(patience >= 1, "patience", patience, "at least 1")
    }
}

/// A trained linear probe: training-set standardisation followed by a linear layer D → K.
public struct LinearProbe: Sendable {
    public let standardizer: Standardizer
    /// weight [K, D], bias [K].
    public let linear: Linear

    /// Logits [N, K] of `features` [N, D].
    public func logits(for features: Tensor) throws -> Tensor {
        _ = try FeatureChecks.matrix(features, "val", columns: standardizer.mean.count)
        return linear(standardizer.apply(features))
    }
}

/// The outcome of training a probe: the model, the mean training loss of each epoch run, and whether the
/// early-stop rule ended training before `epochs`.
public struct LinearProbeTraining: Sendable {
    public let probe: LinearProbe
    public let lossCurve: [Double]
    public let stoppedEarly: Bool
}
