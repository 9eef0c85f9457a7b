import ArgumentParser
import Evaluate
import Foundation
import Models
import Tensor

/// `mvd experiment-prepare`: checks an experiment's data and settings before any work, and writes what every later
/// stage reads: the models' shapes, the combined manifests of the transfer teacher, and OUT/experiment.json.
public struct ExperimentPrepareCommand: ParsableCommand {
    public init() {}
    public static let configuration = CommandConfiguration(
        commandName: "experiment-prepare",
        abstract: "Check an experiment's data and settings; write OUT/experiment.json and the models' configs.",
        discussion: """
            Run by pipelines/experiment.sh before any work. Refuses, with the manifest and line, what a later stage \
            would fail on or measure wrongly: unparsable lines, missing videos, manifests without videos, labels that \
            are not dense class indices 0..<C in training, validation labels training never shows, a task with one \
            class. Writes OUT/config/student.json and OUT/config/image.json (the single-frame image model), \
            OUT/both-{train,val}.csv (every task's labels in one classification, for the transfer teacher) and \
            OUT/experiment.json (geometry, budgets, seeds, precision, and per task the classes, the chance level \
            measured on the data and the manifests' SHA-256).
            """)

    @Option(help: "The data folder: unlabeled.csv, appearance/{train,val}.csv, motion/{train,val}.csv.", transform: URL.init(fileURLWithPath:))
    var data: URL
    @Option(help: "The experiment's output folder.", transform: URL.init(fileURLWithPath:))
    var out: URL
    @Option(help: "The models' shape (JSON; see mvd distill --help).", transform: URL.init(fileURLWithPath:))
    var modelConfig: URL
    @Option(help: "Clip side in pixels (default: the config's input_size).") var inputSize: Int?
    @Option(help: "Frames per clip (default: the config's num_frames).") var numFrames: Int?
    @Option(help: "Frames between sampled frames.") var samplingRate: Int = 2
    @Option(help: "Factor on every training stage's epochs.") var budget: Double = 1
    @Option(
        parsing: .upToNextOption,
        help: "Epochs per stage as run (after --budget), as NAME=EPOCHS: recorded in experiment.json.")
    var epochs: [String] = []
    @Option var seeds: Int = 8
    @Option var teacherSeeds: Int = 1
    @Option var finetuneSeeds: Int = 3
    @Option(help: "fp32, bf16 or default.") var precision: String = "default"
    @Flag var quick = false
    @Flag(help: "Do not check that every video exists (for data checked elsewhere).") var skipFileCheck = false

    public func validate() throws {
        if let inputSize { try FlagChecks.integer("--input-size", inputSize, in: 1...ModelConfig.limits.inputSize) }
        if let numFrames { try FlagChecks.integer("--num-frames", numFrames, in: 1...ModelConfig.limits.numFrames) }
        try FlagChecks.integer("--sampling-rate", samplingRate, in: 1...1_000)
        try FlagChecks.number("--budget", budget, in: 0...1_000, openBelow: true)
        try FlagChecks.integer("--seeds", seeds, in: 1...10_000)
        try FlagChecks.integer("--teacher-seeds", teacherSeeds, in: 1...seeds)
        try FlagChecks.integer("--finetune-seeds", finetuneSeeds, in: 0...seeds)
        guard ["fp32", "bf16", "default"].contains(precision) else {
            throw ValidationError("--precision must be fp32, bf16 or default, got '\(precision)'")
        }
        _ = try parsedEpochs()
    }

    func parsedEpochs() throws -> [(String, Int)] {
        try epochs.map { item in
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let e = Int(parts[1]), e >= 1 else {
                throw ValidationError("--epochs takes NAME=EPOCHS with EPOCHS ≥ 1, got '\(item)'")
            }
            return (parts[0], e)
        }
    }

    public func run() throws {
        let model: ModelConfig
        do { model = try ExperimentSettings.model(from: try ModelConfig.load(from: modelConfig), inputSize: inputSize, numFrames: numFrames) } catch {
            throw CommandFailure("\(error); choose --input-size divisible by patch_size and --num-frames by tubelet_size")
        }
        let checked: ExperimentData
        do { checked = try ExperimentData.check(data, checkFiles: !skipFileCheck) } catch {
            throw CommandFailure("experiment data: \(error)")
        }
        let scaled = Dictionary(try parsedEpochs(), uniquingKeysWith: { $1 })
        let settings = ExperimentSettings(
            model: model, samplingRate: samplingRate, budget: budget, epochs: scaled, seeds: seeds, teacherSeeds: teacherSeeds,
            finetuneSeeds: finetuneSeeds,
            // "default" is recorded as what every command of the run resolves it to on this CPU.
            precision: precision == "default" ? ComputePrecision.preferred.rawValue : precision, quick: quick, data: checked)

        let fm = FileManager.default
        let configDir = out.appendingPathComponent("config")
        try fm.createDirectory(at: configDir, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeIfChanged(try encoder.encode(model), to: configDir.appendingPathComponent("student.json"))
        try writeIfChanged(
            try encoder.encode(ExperimentSettings.imageModel(of: model)), to: configDir.appendingPathComponent("image.json"))
        let both = try ExperimentData.combinedManifests(data, tasks: checked.tasks)
        try writeIfChanged(Data(both.train.utf8), to: out.appendingPathComponent("both-train.csv"))
        try writeIfChanged(Data(both.val.utf8), to: out.appendingPathComponent("both-val.csv"))
        try writeIfChanged(try encoder.encode(settings), to: out.appendingPathComponent("experiment.json"))

        print("data: \(checked.unlabeledVideos) unlabeled videos")
        for t in checked.tasks {
            print(
                "  \(t.name): \(t.classes) classes, \(t.trainVideos) training and \(t.valVideos) validation videos, "
                    + String(format: "chance %.1f%%", t.chance))
        }
        for note in settings.geometryNotes { print(note) }
        if !scaled.isEmpty {
            print("epochs at budget \(budget): " + scaled.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        }
    }

    /// Writes `data` unless the file already holds it, so that an unchanged input keeps its modification time.
    func writeIfChanged(_ data: Data, to url: URL) throws {
        if FileManager.default.contents(atPath: url.path) == data { return }
        try data.write(to: url, options: .atomic)
    }
}
