import ArgumentParser
import Distill
import Foundation
import Models
import Tensor

/// Where an encoder to evaluate comes from: a run directory of ours, or a checkpoint file (ours exported, or official).
struct EncoderSource: ParsableArguments {
    @Option(
        help: "A run directory written by distill (its config gives the architecture and position table).",
        transform: URL.init(fileURLWithPath:))
    var run: URL?
    @Option(
        help:
            "An encoder checkpoint (.pth or .safetensors): an MVD student, a VideoMAE pre-training checkpoint, an MAE one for a single-frame image model, or one exported with mvd export. Decoder and other pre-training-only keys are skipped and listed; any other key is refused.",
        transform: URL.init(fileURLWithPath:))
    var checkpoint: URL?
    @Flag(
        help:
            "A freshly initialised, untrained encoder of --arch / --model-config (seeded by --seed): the baseline that shows what pre-training added."
    )
    var randomInit = false
    @Flag(
        help:
            "No encoder: probe the centre view's raw pixels (2×2-averaged) and frame differences, with the clip geometry of --arch / --model-config (knn and linear only). The baseline any encoder must beat."
    )
    var rawPixels = false
    @OptionGroup var model: ModelOptions
    @Option(help: "Position table of a --checkpoint encoder (sincos-3d as in MVD's fine-tuning; sinusoid-1d for our VideoMAE-style runs).")
    var positionTable: PositionEncoding = .sincos3D

    /// Exactly one source, before anything is loaded or decoded.
    func validate() throws {
        let given = [run != nil, checkpoint != nil, randomInit, rawPixels].filter { $0 }.count
        guard given == 1 else { throw ValidationError(Self.oneSource) }
    }

    static let oneSource = "give exactly one of --run RUN_DIR, --checkpoint FILE, --random-init or --raw-pixels"

    /// A readable name for tables.
    var label: String {
        if let run { return run.lastPathComponent }
        if randomInit { return "untrained" }
        if rawPixels { return "pixels" }
        return checkpoint?.deletingPathExtension().lastPathComponent ?? "encoder"
    }

    /// The encoder as a classifier with a fresh head of `classes` outputs.
    func classifier(classes: Int, dropPath: Float, seed: UInt64) throws -> Classifier {
        var rng = SplitMix64(seed: seed ^ 0xF1E7)
        switch (run, checkpoint) {
        case (nil, nil) where rawPixels && !randomInit:
            throw ValidationError("--raw-pixels has no encoder to fine-tune; use it with --protocol knn,linear")
        case (nil, nil) where randomInit && !rawPixels:
            let (_, config) = try model.resolve(defaultArch: "vit_small", positionTable: positionTable)
            let student = Student(fresh: config, branches: [], positionEncoding: positionTable, using: &rng)
            return Classifier(encoderOf: student, classes: classes, dropPath: dropPath, using: &rng)
        case let (run?, nil) where !randomInit && !rawPixels:
            let student = try RunDirectory(run).loadStudent()
            return Classifier(encoderOf: student, classes: classes, dropPath: dropPath, using: &rng)
        case let (nil, file?) where !randomInit && !rawPixels:
            let (_, config) = try model.resolve(defaultArch: "vit_small", positionTable: positionTable)
            let reader = try WeightReader(contentsOf: file)
            let c = try Classifier(
                encoderWeights: reader, config: config, classes: classes, dropPath: dropPath,
                positionEncoding: positionTable, using: &rng)
            if !reader.skipped.isEmpty {
                print("\(label): skipped \(reader.skipped.count) keys fine-tuning does not use: \(Classifier.skippedSummary(reader.skipped))")
            }
            return c
        default:
            throw ValidationError(Self.oneSource)
        }
    }
}
