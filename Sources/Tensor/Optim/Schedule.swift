import Foundation

/// The per-step schedule of docs/method.md §7.1 (utils.cosine_scheduler): `warmupSteps` values from `warmupStart`
/// to `base` inclusive (numpy linspace), then a half cosine from `base` down to `final` over the remaining steps.
/// The weight-decay schedule is the same formula without warm-up.
public struct CosineSchedule: Sendable, Codable, Equatable {
    public var base: Double
    public var final: Double
    public var totalSteps: Int
    public var warmupSteps: Int
    public var warmupStart: Double

    public init(base: Double, final: Double, totalSteps: Int, warmupSteps: Int = 0, warmupStart: Double = 0) {
        precondition(
            totalSteps > 0 && warmupSteps >= 0 && warmupSteps <= totalSteps,
            "schedule needs 0 <= warmup (\(warmupSteps)) <= total (\(totalSteps)) and total > 0")
        self.base = base
        self.final = final
        self.totalSteps = totalSteps
        self.warmupSteps = warmupSteps
        self.warmupStart = warmupStart
    }

    /// Steps counted in epochs, as the original computes them.
    public init(
        base: Double, final: Double, epochs: Int, stepsPerEpoch: Int, warmupEpochs: Int = 0,
        warmupSteps: Int? = nil, warmupStart: Double = 0
    ) {
        let w = warmupSteps ?? warmupEpochs * stepsPerEpoch
        self.init(base: base, final: final, totalSteps: epochs * stepsPerEpoch, warmupSteps: w, warmupStart: warmupStart)
    }

    /// The value at optimizer step `step` (clamped to the last step).
    public func value(at step: Int) -> Double {
        let i = min(max(step, 0), totalSteps - 1)
        if i < warmupSteps {
            if warmupSteps == 1 { return warmupStart }
            return warmupStart + Double(i) * (base - warmupStart) / Double(warmupSteps - 1)
        }
        let j = i - warmupSteps, length = totalSteps - warmupSteps
        return final + 0.5 * (base - final) * (1 + Foundation.cos(Double.pi * Double(j) / Double(length)))
    }
}

/// The total-batch learning-rate scaling rule: actual = base × totalBatch / 256.
public func scaledLearningRate(_ base: Double, totalBatch: Int) -> Double { base * Double(totalBatch) / 256 }
