import Foundation
import Models
import Tensor

/// Everything that defines a training run; saved as `config.json` in the run directory.
/// Libraries take this struct, never the command line.
public struct TrainConfig: Codable, Sendable, Equatable {
    public var model: ModelConfig
    public var architecture: String
    public var positionEncoding: PositionEncoding
    public var objective: Objective
    /// For single-frame (MAE image) models: take frames 0, s, 2s, … of each clip as separate samples.
    public var imageFrameStride: Int?
    /// Samples each cache row yields: 1, or for image models the frames taken per clip (for the lr scaling rule).
    public var samplesPerRow: Int
    public var mask: MaskKind
    public var maskRatio: Double
    public var epochs: Int
    public var batchSize: Int
    public var accumulate: Int
    public var baseLR: Double
    public var minLR: Double
    public var warmupEpochs: Int
    public var weightDecay: Double
    public var clipGrad: Double?
    public var dropPath: Float
    public var beta1: Float
    public var beta2: Float
    public var seed: UInt64
    public var saveEvery: Int
    public var logEvery: Int
    /// Feature width of each teacher in the cache (distillation only).
    public var teacherWidths: [String: Int]

    public init(model: ModelConfig, architecture: String, positionEncoding: PositionEncoding = .sincos3D, objective: Objective,
                imageFrameStride: Int? = nil, samplesPerRow: Int = 1, mask: MaskKind = .tube, maskRatio: Double = 0.9, epochs: Int, batchSize: Int,
                accumulate: Int = 1, baseLR: Double = 1.5e-4, minLR: Double = 1e-5, warmupEpochs: Int = 0,
                weightDecay: Double = 0.05, clipGrad: Double? = nil, dropPath: Float = 0.1, beta1: Float = 0.9, beta2: Float = 0.95,
                seed: UInt64 = 0, saveEvery: Int = 100, logEvery: Int = 10, teacherWidths: [String: Int] = [:]) {
        self.model = model; self.architecture = architecture; self.positionEncoding = positionEncoding
        self.objective = objective; self.imageFrameStride = imageFrameStride; self.samplesPerRow = samplesPerRow; self.mask = mask; self.maskRatio = maskRatio
        self.epochs = epochs; self.batchSize = batchSize; self.accumulate = accumulate; self.baseLR = baseLR
        self.minLR = minLR; self.warmupEpochs = warmupEpochs; self.weightDecay = weightDecay; self.clipGrad = clipGrad
        self.dropPath = dropPath; self.beta1 = beta1; self.beta2 = beta2; self.seed = seed; self.saveEvery = saveEvery
        self.logEvery = logEvery; self.teacherWidths = teacherWidths
    }

    /// Samples per optimiser step (clips, or frames for image models).
    public var totalBatch: Int { batchSize * accumulate }

    /// The actual peak and floor learning rates: base × total batch / 256 (MVD-SPEC §7.1).
    public var peakLR: Double { scaledLearningRate(baseLR, totalBatch: totalBatch * samplesPerRow) }
    public var floorLR: Double { scaledLearningRate(minLR, totalBatch: totalBatch * samplesPerRow) }

    /// Optimiser steps per epoch over `rows` cache rows (drop-last, as the original).
    public func stepsPerEpoch(rows: Int) -> Int { rows / totalBatch }

    public var geometry: PatchGeometry {
        PatchGeometry(frames: model.numFrames, height: model.inputSize, width: model.inputSize,
                      tubelet: model.tubeletSize, patch: model.patchSize)
    }

    public var maskGenerator: MaskGenerator {
        MaskGenerator(kind: mask, ratio: maskRatio, timeSlices: model.numFrames / model.tubeletSize,
                      tokensPerSlice: model.tokensPerFrame)
    }

    /// Names of the top-level fields whose values differ between two configs.
    public static func differingFields(_ a: TrainConfig, _ b: TrainConfig) -> [String] {
        func fields(_ c: TrainConfig) -> [String: Data] {
            guard let data = try? JSONEncoder().encode(c),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.compactMapValues { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
        }
        let (fa, fb) = (fields(a), fields(b))
        return Set(fa.keys).union(fb.keys).filter { fa[$0] != fb[$0] }.sorted()
    }

    /// Checks that flag combinations make sense; messages name the flag.
    public func validate() throws {
        func fail(_ m: String) -> DistillError { .invalidConfig(m) }
        guard maskRatio > 0 && maskRatio < 1 else { throw fail("--mask-ratio must be in (0, 1), got \(maskRatio)") }
        guard epochs > 0, batchSize > 0, accumulate > 0 else { throw fail("--epochs, --batch-size and --accumulate must be positive") }
        guard warmupEpochs >= 0 && warmupEpochs <= epochs else { throw fail("--warmup-epochs (\(warmupEpochs)) must be between 0 and --epochs (\(epochs))") }
        guard dropPath >= 0 && dropPath < 1 else { throw fail("--drop-path must be in [0, 1), got \(dropPath)") }
        guard saveEvery > 0, logEvery > 0 else { throw fail("--save-every and --log-every must be positive") }
        do { try model.validate(needsSinCos3D: positionEncoding == .sincos3D) } catch { throw fail("\(error)") }
    }
}

/// Errors of training runs. Messages say what to do next.
public enum DistillError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case nonFiniteLoss(step: Int, terms: [String])
    case storeMismatch(String)
    case notEnoughData(rows: Int, batch: Int)
    case runDirectory(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return m
        case .nonFiniteLoss(let step, let terms):
            return "the loss became non-finite at step \(step) (\(terms.joined(separator: ", "))); training stopped and the last checkpoint was left intact. Lower --lr, add --clip-grad, or check the cache for bad values."
        case .storeMismatch(let m): return m
        case .notEnoughData(let rows, let batch):
            return "the data has \(rows) rows, fewer than one optimiser step needs (\(batch)); lower --batch-size/--accumulate or extract more views"
        case .runDirectory(let m): return m
        }
    }
}
