import Foundation
import Models
import Tensor
import VideoIO

/// The fine-tuning recipe of docs/method.md §7.4, scaled to what a CPU run needs.
///
/// Kept: AdamW (0.9, 0.999), layer-wise lr decay, a linear warm-up from 0 (5 epochs) then cosine, gradient
/// accumulation with the lr scaled by the total batch (`batchSize × accumulate`), drop path, dropout before the head,
/// label smoothing, the K400 dense or SSv2 segment temporal sampler (`dataset`), mean pooling + fc_norm + head
/// (init ×0.001), and the multi-view test with softmax averaging. Training augmentation is the original's K400 one
/// (docs/method.md §6.5): RandAugment m7-n4 on the full frames, a random-resized crop (or the pre-training multi-scale
/// crop with `crop`), a horizontal flip for K400, random erasing (0.25) after normalisation, and repeated augmentation
/// (each video of a micro-batch decoded once and augmented `repeatedAugment` times, the views adjacent). With `mixup`
/// (on, as in every original script), each batch is mixed with its reverse: Mixup (Beta(0.8, 0.8)) or, half the time,
/// a per-frame spatial CutMix box (Beta(1, 1)) cut from the last two axes — the corrected CutMix, not the original's
/// indexing bug (docs/method.md §13, "CutMix on video tensors"), with λ from the box actually pasted.
public struct FineTuneConfig: Codable, Sendable, Equatable {
    public var epochs = 10, batchSize = 8, warmupEpochs = 5
    /// Micro-batches of `batchSize` whose gradients add up to one optimiser step (the original's `--update_freq`).
    public var accumulate = 1
    public var baseLR = 5e-4, minLR = 1e-6, weightDecay = 0.05
    public var layerDecay: Float = 0.75, dropPath: Float = 0.1, labelSmoothing: Float = 0.1
    /// Dropout between fc_norm and the head (the original's `--fc_drop_rate`: 0.5 for ViT-L/H, else 0).
    public var fcDropout: Float = 0
    public var mixup = true
    /// The temporal sampler, the test views and whether flips are allowed.
    public var dataset = FineTuneDataset.k400
    /// Random horizontal flips of training clips (the K400 recipe). Off for tasks whose label a mirror image
    /// changes, such as the direction of travel (the Something-Something recipe has no flips, and refuses them).
    public var flip = true
    /// RandAugment of each training view, nil for none.
    public var randAugment: RandAugment? = RandAugment()
    /// The training crop.
    public var crop = FineTuneCrop.randomResized
    /// Chance that a training view gets one erased box (0: never).
    public var randomErasing: Float = 0.25
    /// Views per training video in a micro-batch (the original's `--num_sample`): the micro-batch holds `batchSize`
    /// videos and `batchSize × repeatedAugment` clips; an epoch is still one pass over the videos and the lr scales with
    /// the videos of a step, as in the original (docs/method.md §13, "LR scaling ignores repeated augmentation").
    public var repeatedAugment = 2
    /// Frame stride of the K400 sampler and test views; the SSv2 segment sampler has none.
    public var samplingRate = 4, testSegments = 5, testCrops = 3
    public var seed: UInt64 = 0
    public init() {}

    /// The defaults of `dataset`'s recipe: its flips and test views.
    public init(dataset: FineTuneDataset) {
        self.dataset = dataset
        flip = dataset.flips
        (testSegments, testCrops) = dataset.testViews
    }

    /// Clips per optimiser step; the learning rates scale with it (× total batch / 256).
    public var totalBatch: Int { batchSize * accumulate }

    /// Upper bounds of the integer settings: far above the original recipe (150 epochs, a total batch of 512, rate 4,
    /// 5 × 3 test views) and far below what overflows or exhausts memory.
    public static let limits = (
        epochs: 100_000, batchSize: 4_096, accumulate: 4_096, samplingRate: 64, testSegments: 64, testCrops: 16,
        repeatedAugment: 16
    )

    /// Checks every setting before any weight is touched; the error names the setting (as its flag) and the value.
    public func validate() throws {
        func integer(_ name: String, _ value: Int, _ range: ClosedRange<Int>, _ note: String = "") throws {
            guard range.contains(value) else {
                throw EvaluateError.invalidSetting(
                    name: name, value: "\(value)", expected: "an integer from \(range.lowerBound) to \(range.upperBound)\(note)")
            }
        }
        func number(_ name: String, _ value: Double, _ ok: Bool, _ expected: String) throws {
            guard value.isFinite && ok else { throw EvaluateError.invalidSetting(name: name, value: "\(value)", expected: expected) }
        }
        let limits = Self.limits
        try integer("--epochs", epochs, 1...limits.epochs)
        try integer("--batch-size", batchSize, 1...limits.batchSize)
        try integer("--accumulate", accumulate, 1...limits.accumulate)
        try integer("--warmup-epochs", warmupEpochs, 0...epochs, " (at most --epochs)")
        try integer("--sampling-rate", samplingRate, 1...limits.samplingRate)
        try integer("temporal test views", testSegments, 1...limits.testSegments)
        try integer("spatial test views", testCrops, 1...limits.testCrops)
        try number("--lr", baseLR, baseLR > 0 && baseLR <= 1, "a number in (0, 1]")
        try number("minimum lr", minLR, minLR >= 0 && minLR <= 1, "a number in [0, 1]")
        try number("weight decay", weightDecay, weightDecay >= 0 && weightDecay <= 1, "a number in [0, 1]")
        try number("--layer-decay", Double(layerDecay), layerDecay > 0 && layerDecay <= 1, "a number in (0, 1] (1 = no decay)")
        try number("--drop-path", Double(dropPath), dropPath >= 0 && dropPath < 1, "a number in [0, 1)")
        try number("--fc-dropout", Double(fcDropout), fcDropout >= 0 && fcDropout < 1, "a number in [0, 1)")
        try integer("--repeated-augment", repeatedAugment, 1...limits.repeatedAugment, " (1 = one view per video)")
        try number("--random-erasing", Double(randomErasing), randomErasing >= 0 && randomErasing <= 1, "a probability in [0, 1] (0 = off)")
        try number("label smoothing", Double(labelSmoothing), labelSmoothing >= 0 && labelSmoothing < 1, "a number in [0, 1)")
        if flip && !dataset.flips {
            throw EvaluateError.invalidSetting(
                name: "--flip", value: "on",
                expected: "off with --dataset \(dataset.rawValue): its labels name left and right, which a mirror image swaps")
        }
    }
}

/// The crop of a fine-tuning training view.
public enum FineTuneCrop: String, Codable, Sendable, CaseIterable {
    /// The original's fine-tuning crop: area 8–100 %, aspect 3/4–4/3, resized with plain bilinear.
    case randomResized = "random-resized"
    /// The pre-training multi-scale crop with fixed offsets (docs/method.md §6.4), resized with plain bilinear.
    case multiScale = "multi-scale"
}

/// Layer-wise lr scale of the fine-tuning parameter groups: patch_embed → group 0, blocks.i → i + 1, the rest → depth + 1;
/// scale ρ^(depth + 1 − group). No decay for 1-D tensors, biases, `pos_embed` and `cls_token`.
public func fineTuneGroup(name: String, shape: [Int], depth: Int, layerDecay: Float) -> ParameterGroup {
    var group = depth + 1
    if name.hasPrefix("patch_embed.") { group = 0 }
    if name.hasPrefix("blocks."), let i = Int(name.split(separator: ".")[1]) { group = i + 1 }
    let scale = Float(Foundation.pow(Double(layerDecay), Double(depth + 1 - group)))
    let decay = mvdDecayGroup(name: name, shape: shape, skip: ["pos_embed", "cls_token"]).weightDecay
    return ParameterGroup(weightDecay: decay, lrScale: scale)
}

/// Soft targets: label smoothing ε gives 1 − ε + ε/K on the label and ε/K elsewhere.
public func smoothedTargets(_ labels: [Int], classes k: Int, smoothing: Float) -> Tensor {
    var t = Tensor(shape: [labels.count, k], repeating: smoothing / Float(k))
    for (i, l) in labels.enumerated() { t.storage[i * k + l] = 1 - smoothing + smoothing / Float(k) }
    return t
}
