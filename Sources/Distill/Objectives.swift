import Foundation
import Tensor

/// One teacher's term of the distillation loss (docs/method.md §5.4).
public struct TeacherTerm: Codable, Sendable, Equatable {
    public var name: String
    public var loss: RegressionLoss
    public var weight: Float
    /// Apply the parameter-free LayerNorm (eps 1e-6) to the teacher features before gathering (`--norm-targets`).
    public var normalizeTargets: Bool
    /// Standardise each channel of the teacher's features by the teacher's statistics over the cache
    /// (`--standardize-targets`, see `TargetStandardization`) when they are loaded, so before `normalizeTargets`.
    public var standardizeTargets: Bool

    public init(
        name: String, loss: RegressionLoss = .smoothL1, weight: Float = 1, normalizeTargets: Bool = false,
        standardizeTargets: Bool = false
    ) {
        self.name = name
        self.loss = loss
        self.weight = weight
        self.normalizeTargets = normalizeTargets
        self.standardizeTargets = standardizeTargets
    }

    private enum CodingKeys: String, CodingKey { case name, loss, weight, normalizeTargets, standardizeTargets }

    /// A `config.json` written before `standardizeTargets` existed trained on the features as stored: it reads as false.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        loss = try c.decode(RegressionLoss.self, forKey: .loss)
        weight = try c.decode(Float.self, forKey: .weight)
        normalizeTargets = try c.decode(Bool.self, forKey: .normalizeTargets)
        standardizeTargets = try c.decodeIfPresent(Bool.self, forKey: .standardizeTargets) ?? false
    }
}

/// Per-channel standardisation of one teacher's targets by that teacher's statistics over the whole cache
/// (`--standardize-targets`; UNIC and Theia do this so that teachers of different scales weigh alike in the loss):
/// f' = (f − mean_c) / √(std_c² + ε) for channel c.
public struct TargetStandardization: Sendable, Equatable {
    /// Keeps a channel that is constant over the data (std 0) finite: it becomes (f − mean) / 1e-3, that is 0 up to
    /// the rounding of the stored mean, instead of a division by zero. 1e-6 is the eps of `--norm-targets`'
    /// LayerNorm; against a live channel of a ViT's last block (std of 0.1 and more) it changes the divisor by less
    /// than 5e-5 of itself.
    public static let epsilon = 1e-6

    /// Per-channel mean, [D].
    public let mean: [Float]
    /// Per-channel 1 / √(std² + ε), computed in Double, [D].
    public let inverseScale: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == std.count, "\(mean.count) means for \(std.count) deviations")
        self.mean = mean
        inverseScale = std.map { Float(1 / (Double($0) * Double($0) + Self.epsilon).squareRoot()) }
    }

    public var width: Int { mean.count }

    /// Standardises `values`, rows of D channels (`[..., D]` row-major), in place.
    public func apply(to values: UnsafeMutableBufferPointer<Float>) {
        let width = mean.count
        precondition(width > 0 && values.count % width == 0, "\(values.count) values are not rows of \(width) channels")
        mean.withUnsafeBufferPointer { m in
            inverseScale.withUnsafeBufferPointer { s in
                for start in stride(from: 0, to: values.count, by: width) {
                    for c in 0..<width { values[start + c] = (values[start + c] - m[c]) * s[c] }
                }
            }
        }
    }
}

/// Loss values of one step: per term (unweighted) and the weighted total.
public struct StepLoss: Sendable, Equatable {
    public var terms: [Double]
    public var total: Double
}

/// Targets at the masked tokens: features [B, N, Dt] (optionally LayerNorm'd without affine) gathered in
/// ascending masked order → [B, Nm, Dt].
public func maskedTargets(features: Tensor, mask: [Bool], normalize: Bool) -> Tensor {
    let source = normalize ? layerNormForward(features, weight: nil, bias: nil, eps: 1e-6).0 : features
    return gatherTokens(source, mask: mask, select: true)
}

/// The distillation loss: Σ_k w_k · Loss_k(pred_k, target_k). Returns the loss and d loss / d pred_k.
public func distillationLoss(
    predictions: [Tensor], teacherFeatures: [Tensor], mask: [Bool],
    terms: [TeacherTerm]
) -> (StepLoss, [Tensor]) {
    precondition(
        predictions.count == terms.count && teacherFeatures.count == terms.count,
        "\(predictions.count) predictions, \(teacherFeatures.count) feature maps, \(terms.count) loss terms")
    var values: [Double] = [], grads: [Tensor] = [], total = 0.0
    for k in terms.indices {
        let target = maskedTargets(features: teacherFeatures[k], mask: mask, normalize: terms[k].normalizeTargets)
        var (loss, grad) = regressionLoss(terms[k].loss, prediction: predictions[k], target: target)
        if terms[k].weight != 1 { grad.scale(by: terms[k].weight) }
        values.append(loss)
        grads.append(grad)
        total += Double(terms[k].weight) * loss
    }
    return (StepLoss(terms: values, total: total), grads)
}

/// Pixel reconstruction targets of stage 1 (how teachers are made; the VideoMAE baseline).
public enum PixelTarget: String, Codable, Sendable {
    /// VideoMAE: per patch and per colour channel, (x − mean) / (unbiased std + 1e-6); patch vector in (t, y, x, c) order.
    case videoMAE = "videomae"
    /// MAE norm_pix_loss: per patch over all values, (x − mean) / √(unbiased var + 1e-6); (y, x, c) order.
    case mae
    /// The pixels themselves in [0, 1], (t, y, x, c) order: VideoMAE with `--normlize_target False`, MAE without
    /// norm_pix_loss. On flat synthetic backgrounds the per-patch normalisations turn faint noise into unit-variance
    /// targets that nothing can predict; these targets do not.
    case raw

    /// Normalised pixel targets of every token: clips [B, 3, T, S, S] (ImageNet-normalised, as the model sees them)
    /// → [B, N, t·p·p·3]. Pixels are un-normalised back to [0, 1] first, as the originals do.
    public func targets(clips: Tensor, geometry g: PatchGeometry) -> Tensor {
        let patches = patchify(clips, g)  // [B, N, 3·t·p·p] in (c, t, y, x) order
        let per = g.tubelet * g.patch * g.patch, n = patches.count / (3 * per)
        var out = Tensor(shape: patches.shape)
        let mean: [Float] = [0.485, 0.456, 0.406], std: [Float] = [0.229, 0.224, 0.225]
        for token in 0..<n {
            let src = token * 3 * per
            var values = [Float](repeating: 0, count: 3 * per)  // (t, y, x, c) order
            for c in 0..<3 { for i in 0..<per { values[i * 3 + c] = patches.storage[src + c * per + i] * std[c] + mean[c] } }
            switch self {
            case .videoMAE:
                for c in 0..<3 {
                    let xs = (0..<per).map { Double(values[$0 * 3 + c]) }
                    let m = xs.reduce(0, +) / Double(per)
                    let sd = (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(per - 1)).squareRoot()
                    for i in 0..<per { values[i * 3 + c] = Float((xs[i] - m) / (sd + 1e-6)) }
                }
            case .raw:
                break
            case .mae:
                let xs = values.map(Double.init)
                let m = xs.reduce(0, +) / Double(xs.count)
                let v = xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)
                for i in values.indices { values[i] = Float((xs[i] - m) / (v + 1e-6).squareRoot()) }
            }
            out.storage.replaceSubrange(src..<src + 3 * per, with: values)
        }
        return out
    }
}
