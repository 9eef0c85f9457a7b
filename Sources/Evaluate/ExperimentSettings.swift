import Foundation
import Models

/// What one run of pipelines/experiment.sh was made with: the models' geometry, the budgets, the seeds and the data.
/// Written to OUT/experiment.json before any work and copied into results.json, so that a result always says what
/// produced it.
public struct ExperimentSettings: Codable, Equatable, Sendable {
    /// The student's and the video teachers' shape (the image teacher is the same ViT on single frames).
    public var model: ModelConfig
    /// Frames between the sampled frames of a clip.
    public var samplingRate: Int
    /// The factor on every training stage's epochs (stage-1 teachers, students, supervised runs, fine-tuning).
    public var budget: Double
    /// Epochs per stage after the budget, as run.
    public var epochs: [String: Int]
    public var seeds: Int
    public var teacherSeeds: Int
    public var finetuneSeeds: Int
    /// "fp32" or "bf16": the flag, or the CPU's choice when it was not given (as every mvd command makes it).
    public var precision: String
    public var quick: Bool
    public var data: ExperimentData

    enum CodingKeys: String, CodingKey {
        case model, samplingRate = "sampling_rate", budget, epochs, seeds, teacherSeeds = "teacher_seeds",
            finetuneSeeds = "finetune_seeds", precision, quick, data
    }

    public init(
        model: ModelConfig, samplingRate: Int, budget: Double, epochs: [String: Int], seeds: Int, teacherSeeds: Int,
        finetuneSeeds: Int, precision: String, quick: Bool, data: ExperimentData
    ) {
        self.model = model
        self.samplingRate = samplingRate
        self.budget = budget
        self.epochs = epochs
        self.seeds = seeds
        self.teacherSeeds = teacherSeeds
        self.finetuneSeeds = finetuneSeeds
        self.precision = precision
        self.quick = quick
        self.data = data
    }

    /// The single-frame model of the image teacher: the same ViT on one frame, tubelet 1.
    public static func imageModel(of model: ModelConfig) -> ModelConfig {
        var image = model
        image.numFrames = 1
        image.tubeletSize = 1
        return image
    }

    /// `model` with the experiment's geometry flags applied (nil keeps the file's value), checked as a student's.
    public static func model(from base: ModelConfig, inputSize: Int?, numFrames: Int?) throws -> ModelConfig {
        var model = base
        if let inputSize { model.inputSize = inputSize }
        if let numFrames { model.numFrames = numFrames }
        try model.validate(needsSinCos3D: true)
        return model
    }

    /// Notes on the geometry for the terminal: tokens per clip, the patch as a share of the frame, what masking leaves.
    public var geometryNotes: [String] {
        let m = model
        let visiblePlaces = max(1, Int((Double(m.tokensPerFrame) * 0.25).rounded()))
        var notes = [
            "clip: \(m.numFrames) frames at stride \(samplingRate), \(m.inputSize)×\(m.inputSize) px, patch \(m.patchSize), "
                + "tubelet \(m.tubeletSize): \(m.gridSide)×\(m.gridSide) grid, \(m.videoTokens) tokens "
                + "(tube masking at 75% leaves \(visiblePlaces) of \(m.tokensPerFrame) places visible)"
        ]
        if m.gridSide < 4 {
            notes.append(
                "warning: a \(m.gridSide)×\(m.gridSide) grid is too coarse for masked modelling; raise --input-size or lower patch_size")
        }
        return notes
    }
}
