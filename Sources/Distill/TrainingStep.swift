import Models
import Tensor

/// What the student learns to predict.
public enum Objective: Codable, Sendable, Equatable {
    /// MVD: one decoder branch per teacher, regressing its cached features at the masked tokens.
    case distill([TeacherTerm])
    /// Stage 1 / the VideoMAE baseline: normalised pixels of the masked patches, MSE, one branch named "pixels".
    case pixels(PixelTarget)

    /// The decoder branches the student needs. `teacherWidths` gives each teacher's feature width.
    public func branches(teacherWidths: [String: Int], geometry: PatchGeometry) -> [BranchSpec] {
        switch self {
        case .distill(let terms): return terms.map { BranchSpec(name: $0.name, targetWidth: teacherWidths[$0.name] ?? 0) }
        case .pixels: return [BranchSpec(name: "pixels", targetWidth: geometry.patchSize)]
        }
    }

    public var termNames: [String] {
        switch self {
        case .distill(let terms): return terms.map(\.name)
        case .pixels: return ["pixels"]
        }
    }
}

/// One micro-batch: clips [B, 3, T, S, S] and, for distillation, each teacher's full features [B, N, Dt].
public struct TrainingBatch: Sendable {
    public var clips: Tensor
    public var teacherFeatures: [Tensor]
    public init(clips: Tensor, teacherFeatures: [Tensor] = []) {
        self.clips = clips
        self.teacherFeatures = teacherFeatures
    }
}

extension Student {
    /// Forward, loss and backward for one micro-batch; gradients accumulate scaled by `lossScale`
    /// (1 / accumulation steps). Returns the (unscaled) losses.
    public mutating func trainingStep(
        _ batch: TrainingBatch, mask: [Bool], objective: Objective, lossScale: Float = 1,
        using rng: inout SplitMix64
    ) -> StepLoss {
        // The weights stay as they are until the optimiser's update, after this returns. Each pack serves one product
        // (the forward and the backward pack a weight in two orientations), which pays from about 512 rows (the
        // decoders' full token sequences), not for the encoder's visible tokens at small batches.
        WeightPacks.scope(inheriting: false, minimumRows: 512) {
            trainingStepBody(batch, mask: mask, objective: objective, lossScale: lossScale, using: &rng)
        }
    }

    private mutating func trainingStepBody(
        _ batch: TrainingBatch, mask: [Bool], objective: Objective, lossScale: Float, using rng: inout SplitMix64
    ) -> StepLoss {
        let (predictions, cache) = forward(clips: batch.clips, mask: mask, using: &rng)
        var (loss, grads) = OpProfile.section("losses") {
            OpProfile.op(.loss) { () -> (StepLoss, [Tensor]) in
                switch objective {
                case .distill(let terms):
                    return distillationLoss(predictions: predictions, teacherFeatures: batch.teacherFeatures, mask: mask, terms: terms)
                case .pixels(let kind):
                    let all = kind.targets(clips: batch.clips, geometry: patchEmbed.geometry)
                    let (value, grad) = regressionLoss(.l2, prediction: predictions[0], target: gatherTokens(all, mask: mask, select: true))
                    return (StepLoss(terms: [value], total: value), [grad])
                }
            }
        }
        if lossScale != 1 { for k in grads.indices { grads[k].scale(by: lossScale) } }
        if loss.total.isFinite { backward(grads, cache) }
        return loss
    }
}
