import ArgumentParser
import Checkpoint
import Evaluate
import Foundation
import Models
import Tensor
import VideoIO

/// Evaluation protocols of `evaluate`.
public enum ProtocolChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case knn, linear, finetune
}

extension FeaturePooling: ExpressibleByArgument {}

/// `evaluate`: what an encoder learned, by k-NN, linear probe or fine-tuning.
public struct EvaluateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate an encoder: k-NN, linear probe on frozen features, or fine-tuning with a multi-view test.",
        discussion: """
            knn and linear use pooled encoder features of each video's centre view (no masking): the mean of all tokens, \
            or with --pooling time the spatial mean of each time step in temporal order (for tasks such as left vs right \
            motion, which the mean over time erases). --raw-pixels probes the pixels themselves. finetune trains \
            the encoder with a fresh classifier (layer-wise lr decay, drop path, label smoothing, optional mixup) and \
            tests with several temporal × spatial views, averaging the softmax per video. With a classes.json in \
            --data-root (mvd synth writes one), accuracy is also reported per class kind (appearance, motion). \
            See docs/method.md §6.6 and §7.4.
            """)

    @OptionGroup var encoder: EncoderSource
    @Option(name: .customLong("protocol"), help: "knn, linear or finetune; comma-separated for several.") var protocols: String = "knn,linear"
    @Option(help: "Training manifest.") var trainManifest: String
    @Option(help: "Validation manifest.") var valManifest: String
    @Option(help: "Directory the manifests' paths are relative to.") var dataRoot: String?
    @Option(help: "Frame stride of the evaluation views.") var samplingRate: Int = 2
    @Option(help: "Directory for the JSON results (default: the run directory, else the current one).") var out: String?
    @Option(help: "k of k-NN.") var k: Int = 20
    @Option(help: "Fine-tuning epochs.") var epochs: Int = 10
    @Option(help: "Fine-tuning batch size.") var batchSize: Int = 8
    @Option(help: "Fine-tuning base learning rate (× batch / 256).") var lr: Double = 5e-4
    @Option var layerDecay: Float = 0.75
    @Option var dropPath: Float = 0.1
    @Flag(help: "Fine-tuning with Mixup/CutMix (the corrected per-frame CutMix).") var mixup = false
    @Flag(inversion: .prefixedNo, help: "Random horizontal flips while fine-tuning (the K400 recipe); --no-flip for tasks a mirror image changes, such as left vs right motion.")
    var flip = true
    @Option(help: "Pooling of the frozen tokens for knn/linear: mean (over all tokens) or time (spatial mean per time step, concatenated in order: keeps the direction of time).")
    var pooling: FeaturePooling = .mean
    @Option(help: "After fine-tuning, write the fine-tuned encoder here as a video teacher for extract-features (safetensors, VideoMAE layout; needs --position-table sinusoid-1d).")
    var saveTeacher: String?
    @Option(help: "Temporal × spatial test views, e.g. 5x3 (K400) or 2x3.") var testViews: String = "2x3"
    @Option var seed: UInt64 = 0
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @OptionGroup var precision: PrecisionOptions
    @Flag(help: "Replace an existing evaluation.json in the output directory.") var overwrite = false

    public init() {}

    /// The most neighbours k-NN accepts (it uses at most the number of training videos anyway).
    static let maxK = 100_000

    var resultFile: URL { URL(fileURLWithPath: out ?? encoder.run ?? ".").appendingPathComponent("evaluation.json") }

    /// Every flag in range before an encoder is loaded or a video decoded.
    public func validate() throws {
        try FlagChecks.threads(threads)
        let chosen = try chosenProtocols()
        try FlagChecks.integer("--sampling-rate", samplingRate, in: 1...FineTuneConfig.limits.samplingRate)
        if chosen.contains(.knn) { try FlagChecks.integer("--k", k, in: 1...Self.maxK) }
        if chosen.contains(.finetune) {
            do { try fineTuneConfig().validate() } catch { throw ValidationError("\(error)") }
        }
        try FlagChecks.refuseExisting([resultFile.path], overwrite: overwrite)
        if let path = saveTeacher {
            guard chosen.contains(.finetune) else { throw ValidationError("--save-teacher saves a fine-tuned encoder: add --protocol finetune") }
            guard encoder.positionTable == .sinusoid1D else {
                throw ValidationError("--save-teacher needs --position-table sinusoid-1d: a video teacher always runs with VideoMAE's 1-D table")
            }
            try FlagChecks.refuseExisting([path], overwrite: overwrite)
        }
        if encoder.rawPixels && chosen.contains(.finetune) {
            throw ValidationError("--raw-pixels has no encoder to fine-tune; use it with --protocol knn,linear")
        }
    }

    func chosenProtocols() throws -> [ProtocolChoice] {
        try protocols.split(separator: ",", omittingEmptySubsequences: false).map { p -> ProtocolChoice in
            guard let c = ProtocolChoice(rawValue: String(p)) else { throw ValidationError("unknown protocol '\(p)': knn, linear or finetune") }
            return c
        }
    }

    /// The fine-tuning settings of the flags; `--test-views` must be TxS.
    func fineTuneConfig() throws -> FineTuneConfig {
        let fields = testViews.split(separator: "x", omittingEmptySubsequences: false)
        let parts = fields.compactMap { Int($0) }
        guard fields.count == 2, parts.count == 2 else { throw ValidationError("--test-views must look like 2x3 (temporal x spatial), got \(testViews)") }
        var config = FineTuneConfig()
        config.epochs = epochs; config.batchSize = batchSize; config.baseLR = lr; config.layerDecay = layerDecay
        config.dropPath = dropPath; config.mixup = mixup; config.flip = flip; config.samplingRate = samplingRate
        config.testSegments = parts[0]; config.testCrops = parts[1]; config.seed = seed
        return config
    }

    public func run() throws {
        try applyThreads(threads)
        let chosenPrecision = precision.resolved()
        print(precisionLine(chosenPrecision))
        try ComputePrecision.with(chosenPrecision) { try evaluate() }
    }

    /// The encoder's forward (and fine-tuning's backward) run in the chosen precision; k-NN similarities and the linear
    /// probe stay fp32.
    private func evaluate() throws {
        let chosen = try chosenProtocols()
        let trainURL = URL(fileURLWithPath: trainManifest), valURL = URL(fileURLWithPath: valManifest)
        let train = try Manifest.load(from: trainURL, dataRoot: dataRoot)
        let val = try Manifest.load(from: valURL, dataRoot: dataRoot)
        try Manifest.checkLabels(train, file: trainURL)
        try Manifest.checkLabels(val, file: valURL)
        let classes = (train + val).map(\.label).max().map { $0 + 1 } ?? 0
        let subsets = classSubsets()
        var results: [EvaluationResult] = []
        if chosen.contains(.knn) || chosen.contains(.linear) {
            results += try frozenProtocols(chosen, train: train, val: val, classes: classes, subsets: subsets)
        }
        if chosen.contains(.finetune) { results.append(try fineTune(train: train, val: val, classes: classes, subsets: subsets)) }
        print(renderResultTable(results))
        let file = resultFile
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try EvaluationResult.jsonData(results).write(to: file, options: .atomic)
        print("results: \(file.path)")
    }

    /// Appearance / motion subsets from `classes.json` beside the videos, when present.
    func classSubsets() -> [ClassSubset] {
        guard let root = dataRoot, let classes = try? SyntheticDataset.loadClasses(from: URL(fileURLWithPath: root)) else { return [] }
        return SyntheticClassKind.allCases.map { kind in
            ClassSubset(name: kind.rawValue, classes: classes.filter { $0.kind == kind }.map(\.label))
        }.filter { !$0.classes.isEmpty }
    }

    func frozenProtocols(_ protocols: [ProtocolChoice], train: [ManifestEntry], val: [ManifestEntry], classes: Int,
                         subsets: [ClassSubset]) throws -> [EvaluationResult] {
        let line = ProgressLine(plainInterval: 10)
        let tr: EncodedSet, va: EncodedSet
        if encoder.rawPixels {
            let (_, config) = try encoder.model.resolve(defaultArch: "vit_small")
            tr = ClipFeatures.rawPixels(entries: train, config: config, samplingRate: samplingRate) { i, n in line.update("reading train \(i)/\(n)") }
            va = ClipFeatures.rawPixels(entries: val, config: config, samplingRate: samplingRate) { i, n in line.update("reading val \(i)/\(n)") }
        } else {
            let model = try encoder.classifier(classes: classes, dropPath: 0, seed: seed)
            tr = ClipFeatures.pooled(encoder: model, entries: train, samplingRate: samplingRate, pooling: pooling) { i, n in line.update("encoding train \(i)/\(n)") }
            va = ClipFeatures.pooled(encoder: model, entries: val, samplingRate: samplingRate, pooling: pooling) { i, n in line.update("encoding val \(i)/\(n)") }
        }
        line.finish()
        for f in (tr.failures + va.failures).prefix(5) { print("  skipped \(f.path): \(f.reason)") }
        var out: [EvaluationResult] = []
        if protocols.contains(.knn) {
            out.append(try evaluateKNN(run: encoder.label, trainFeatures: tr.features, trainLabels: tr.labels, valFeatures: va.features,
                                       valLabels: va.labels, classCount: classes, configuration: KNNConfiguration(k: k), subsets: subsets))
        }
        if protocols.contains(.linear) {
            var c = LinearProbeConfiguration()
            c.seed = seed
            out.append(try evaluateLinearProbe(run: encoder.label, trainFeatures: tr.features, trainLabels: tr.labels, valFeatures: va.features,
                                               valLabels: va.labels, classCount: classes, configuration: c, subsets: subsets))
        }
        return out
    }

    func fineTune(train: [ManifestEntry], val: [ManifestEntry], classes: Int, subsets: [ClassSubset]) throws -> EvaluationResult {
        let config = try fineTuneConfig()
        let tuner = FineTuner(model: try encoder.classifier(classes: classes, dropPath: dropPath, seed: seed), config: config)
        let line = ProgressLine(plainInterval: 10)
        try tuner.train(train, classes: classes) { s, n, loss in line.update(String(format: "fine-tune step %d/%d loss %.4f", s, n, loss)) }
        line.finish()
        if let path = saveTeacher {
            var model = tuner.model
            let tensors = try model.videoTeacherTensors(positionEncoding: encoder.positionTable)
            try SafeTensors.write(StateDict(tensors: tensors), to: URL(fileURLWithPath: path))
            print("wrote the fine-tuned encoder as a video teacher (\(tensors.count) tensors) to \(path)")
        }
        var result = try evaluateMultiView(run: encoder.label, views: tuner.test(val), subsets: subsets)
        result.trainCount = train.count
        return result
    }
}
