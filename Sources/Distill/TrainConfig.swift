import FeatureStore
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
    /// Clips per micro-batch on each process (per rank, as in the original).
    public var batchSize: Int
    public var accumulate: Int
    /// Processes stepping together (`mpirun -n`); each adds `accumulate` micro-batches to every step. A
    /// `config.json` written before this field existed is read as 1.
    public var ranks: Int
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
    /// Kind (image or video) of each teacher in the cache, which decides the branch names on export
    /// (`Student.officialBranchNames`). Absent in runs saved before kinds were recorded.
    public var teacherKinds: [String: TeacherKind]?
    /// The number format of the products. A `config.json` written before this field existed is read as fp32.
    public var precision: Precision
    /// Changes made when the run was resumed (`--epochs`, `--warmup-epochs`), oldest first; absent when none.
    public var history: [ConfigChange]?

    public init(
        model: ModelConfig, architecture: String, positionEncoding: PositionEncoding = .sincos3D, objective: Objective,
        imageFrameStride: Int? = nil, samplesPerRow: Int = 1, mask: MaskKind = .tube, maskRatio: Double = 0.9, epochs: Int, batchSize: Int,
        accumulate: Int = 1, ranks: Int = 1, baseLR: Double = 1.5e-4, minLR: Double = 1e-5, warmupEpochs: Int = 0,
        weightDecay: Double = 0.05, clipGrad: Double? = nil, dropPath: Float = 0.1, beta1: Float = 0.9, beta2: Float = 0.95,
        seed: UInt64 = 0, saveEvery: Int = 100, logEvery: Int = 10, teacherWidths: [String: Int] = [:],
        teacherKinds: [String: TeacherKind]? = nil, precision: Precision = .fp32, history: [ConfigChange]? = nil
    ) {
        self.model = model
        self.architecture = architecture
        self.positionEncoding = positionEncoding
        self.objective = objective
        self.imageFrameStride = imageFrameStride
        self.samplesPerRow = samplesPerRow
        self.mask = mask
        self.maskRatio = maskRatio
        self.epochs = epochs
        self.batchSize = batchSize
        self.accumulate = accumulate
        self.ranks = ranks
        self.baseLR = baseLR
        self.minLR = minLR
        self.warmupEpochs = warmupEpochs
        self.weightDecay = weightDecay
        self.clipGrad = clipGrad
        self.dropPath = dropPath
        self.beta1 = beta1
        self.beta2 = beta2
        self.seed = seed
        self.saveEvery = saveEvery
        self.logEvery = logEvery
        self.teacherWidths = teacherWidths
        self.teacherKinds = teacherKinds
        self.precision = precision
        self.history = history
    }

    /// Samples per optimiser step over all processes (clips, or frames for image models).
    public var totalBatch: Int { batchSize * accumulate * ranks }

    /// Micro-batches per optimiser step over all processes; each micro-batch's gradient is scaled by its inverse.
    public var microBatchesPerStep: Int { accumulate * ranks }

    /// The same run with the split of its total batch (per-rank batch, accumulation, ranks) taken from `other`:
    /// a run resumes under any split that keeps the total batch.
    public func withSplit(of other: TrainConfig) -> TrainConfig {
        var c = self
        c.batchSize = other.batchSize
        c.accumulate = other.accumulate
        c.ranks = other.ranks
        return c
    }

    /// The actual peak and floor learning rates: base × total batch / 256 (docs/method.md §7.1).
    public var peakLR: Double { scaledLearningRate(baseLR, totalBatch: totalBatch * samplesPerRow) }
    public var floorLR: Double { scaledLearningRate(minLR, totalBatch: totalBatch * samplesPerRow) }

    /// Optimiser steps per epoch over `videos` videos, one view of each (drop-last, as the original).
    public func stepsPerEpoch(videos: Int) -> Int { videos / totalBatch }

    public var geometry: PatchGeometry {
        PatchGeometry(
            frames: model.numFrames, height: model.inputSize, width: model.inputSize,
            tubelet: model.tubeletSize, patch: model.patchSize)
    }

    public var maskGenerator: MaskGenerator {
        MaskGenerator(
            kind: mask, ratio: maskRatio, timeSlices: model.numFrames / model.tubeletSize,
            tokensPerSlice: model.tokensPerFrame)
    }

    /// Settings a resumed run may change: the schedule is rebuilt for the new total from the saved step on.
    public static let extendableFields: [(key: String, flag: String)] = [("epochs", "--epochs"), ("warmupEpochs", "--warmup-epochs")]
    /// Settings that do not change the trajectory (`--threads` is not part of a config at all).
    public static let inertFields = ["logEvery", "saveEvery"]

    /// The flag (or what sets it) of each field of `config.json`, for messages.
    public static let flagOfField: [String: String] = [
        "model": "--student/--student-config (the model)", "architecture": "--student", "positionEncoding": "--position-encoding",
        "objective": "--target/--teachers/--loss/--loss-weight/--norm-targets (the objective)",
        "imageFrameStride": "--image-model", "samplesPerRow": "--image-model", "mask": "--mask", "maskRatio": "--mask-ratio",
        "epochs": "--epochs", "batchSize": "--batch-size", "accumulate": "--accumulate", "ranks": "mpirun -n",
        "baseLR": "--lr", "minLR": "--min-lr", "warmupEpochs": "--warmup-epochs", "weightDecay": "--weight-decay",
        "clipGrad": "--clip-grad", "dropPath": "--drop-path", "beta1": "AdamW beta1", "beta2": "AdamW beta2", "seed": "--seed",
        "saveEvery": "--save-every", "logEvery": "--log-every", "teacherWidths": "--cache (its teachers' widths)",
        "teacherKinds": "--cache (its teachers' kinds)", "precision": "--precision"
    ]

    /// Each differing field as "flag: saved X, requested Y", for a refusal of `--resume`.
    public static func describeDifferences(saved: TrainConfig, requested: TrainConfig) -> [String] {
        let (a, b) = (fieldValues(saved), fieldValues(requested))
        return differingFields(saved, requested).map { key in
            "\(flagOfField[key] ?? key): saved \(a[key] ?? "none"), requested \(b[key] ?? "none")"
        }
    }

    /// Each top-level field's value as compact JSON text.
    static func fieldValues(_ c: TrainConfig) -> [String: String] {
        guard let data = try? JSONEncoder().encode(c),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object.compactMapValues {
            (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed])).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Names of the top-level fields whose values differ between two configs.
    public static func differingFields(_ a: TrainConfig, _ b: TrainConfig) -> [String] {
        func fields(_ c: TrainConfig) -> [String: Data] {
            guard let data = try? JSONEncoder().encode(c),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return [:] }
            return object.compactMapValues { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
        }
        let (fa, fb) = (fields(a), fields(b))
        return Set(fa.keys).union(fb.keys).filter { fa[$0] != fb[$0] }.sorted()
    }

    /// Upper bounds of the integer settings: far above any real run, far below what overflows or exhausts memory.
    public static let limits = (epochs: 100_000, batch: 4_096, steps: 1_000_000_000)

    /// Checks that every value is in range and that flag combinations make sense, before anything is created or
    /// written (a NaN or infinity would otherwise surface only when `config.json` cannot be encoded); messages name
    /// the flag and the value.
    public func validate() throws {
        func fail(_ m: String) -> DistillError { .invalidConfig(m) }
        do { try model.validate(needsSinCos3D: positionEncoding == .sincos3D) } catch { throw fail("\(error)") }
        let limits = Self.limits
        for (flag, value, limit) in [
            ("--epochs", epochs, limits.epochs), ("--batch-size", batchSize, limits.batch),
            ("--accumulate", accumulate, limits.batch), ("processes (mpirun -n)", ranks, limits.batch),
            ("--save-every", saveEvery, limits.steps),
            ("--log-every", logEvery, limits.steps)
        ] {
            guard value >= 1 && value <= limit else { throw fail("\(flag) must be between 1 and \(limit), got \(value)") }
        }
        guard warmupEpochs >= 0 && warmupEpochs <= epochs else {
            throw fail("--warmup-epochs (\(warmupEpochs)) must be between 0 and --epochs (\(epochs))")
        }
        guard samplesPerRow >= 1, (imageFrameStride ?? 1) >= 1 else {
            throw fail("samples per row (\(samplesPerRow)) and the image frame stride (\(imageFrameStride ?? 1)) must be at least 1")
        }
        guard baseLR.isFinite && baseLR > 0 && baseLR <= 1 else { throw fail("--lr must be a number in (0, 1], got \(baseLR)") }
        guard minLR.isFinite && minLR >= 0 && minLR <= 1 else { throw fail("--min-lr must be a number in [0, 1], got \(minLR)") }
        guard weightDecay.isFinite && weightDecay >= 0 && weightDecay <= 1 else {
            throw fail("--weight-decay must be a number in [0, 1], got \(weightDecay)")
        }
        if let clip = clipGrad, !(clip.isFinite && clip > 0) { throw fail("--clip-grad must be a positive finite number, got \(clip)") }
        guard dropPath >= 0 && dropPath < 1 else { throw fail("--drop-path must be in [0, 1), got \(dropPath)") }
        guard beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 else { throw fail("AdamW betas must be in [0, 1), got \(beta1) and \(beta2)") }
        if case .distill(let terms) = objective {
            var seen = Set<String>()
            for term in terms {
                guard seen.insert(term.name).inserted else {
                    throw fail("teacher '\(term.name)' is named twice in --teachers; name each teacher of the cache once")
                }
                guard term.weight.isFinite && term.weight >= 0 else {
                    throw fail("--loss-weight of teacher '\(term.name)' must be a finite number >= 0, got \(term.weight)")
                }
            }
        }
        for (name, width) in teacherWidths.sorted(by: { $0.key < $1.key }) where width < 1 || width > ModelConfig.limits.embedDim {
            throw fail("teacher '\(name)' has feature width \(width); the cache is damaged or not one written by extract-features")
        }
        guard maskRatio > 0 && maskRatio < 1 else { throw fail("--mask-ratio must be in (0, 1), got \(maskRatio)") }
        // The loss is a mean over the masked tokens and the encoder sees only the visible ones: with none of either
        // the first step divides by zero.
        let masks = maskGenerator
        guard masks.maskedCount >= 1 && masks.visibleCount >= 1 else {
            throw fail(
                "--mask-ratio \(maskRatio) masks \(masks.maskedCount) of \(masks.tokens) tokens per clip (\(mask.rawValue) masking), "
                    + "leaving \(masks.visibleCount) visible; choose a ratio that masks at least one token and leaves one visible")
        }
    }
}

/// One change of a setting when a run was resumed: which flag, from what to what, and the step training went on from.
public struct ConfigChange: Codable, Sendable, Equatable {
    public var step: Int
    public var flag: String
    public var from: Int
    public var to: Int

    public init(step: Int, flag: String, from: Int, to: Int) {
        self.step = step
        self.flag = flag
        self.from = from
        self.to = to
    }

    public var description: String { "\(flag) \(from) → \(to) at step \(step)" }
}

/// Errors of training runs. Messages say what to do next.
public enum DistillError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case nonFiniteLoss(step: Int, terms: [String])
    case storeMismatch(String)
    case notEnoughData(videos: Int, batch: Int)
    case runDirectory(String)
    /// A run checkpoint's tensors do not fit the run's student (a missing, extra, mis-shaped or non-finite key).
    case runCheckpoint(ModelLoadError)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return m
        case .nonFiniteLoss(let step, let terms):
            return
                "the loss became non-finite at step \(step) (\(terms.joined(separator: ", "))); training stopped and the last checkpoint was left intact. Lower --lr, add --clip-grad, or check the cache for bad values."
        case .storeMismatch(let m): return m
        case .notEnoughData(let videos, let batch):
            return
                "the data has \(videos) usable videos, and an epoch reads one view of each: fewer than one optimiser step needs (\(batch)); lower --batch-size/--accumulate or extract more videos (more views per video do not lengthen an epoch)"
        case .runDirectory(let m): return m
        case .runCheckpoint(let e): return "\(e) Resume from an intact run folder or start a new run with another --out."
        }
    }
}
