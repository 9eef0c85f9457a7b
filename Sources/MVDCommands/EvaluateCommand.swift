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
extension FineTuneDataset: ExpressibleByArgument {}
extension FineTuneCrop: ExpressibleByArgument {}

/// `evaluate`: what an encoder learned, by k-NN, linear probe or fine-tuning.
public struct EvaluateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Evaluate an encoder: k-NN, linear probe on frozen features, or fine-tuning with a multi-view test.",
        discussion: """
            knn and linear use pooled encoder features of each video's centre view (no masking): the mean of all tokens, \
            or with --pooling time the spatial mean of each time step in temporal order (for tasks such as left vs right \
            motion, which the mean over time erases). --raw-pixels probes the pixels themselves. finetune trains \
            the encoder with a fresh classifier (layer-wise lr decay, drop path, label smoothing, Mixup/CutMix unless \
            --no-mixup) and tests with several temporal × spatial views, averaging the softmax per video. Its peak \
            learning rate is --lr × total batch / 256, where the total batch is --batch-size × --accumulate, after \
            --warmup-epochs of linear warm-up from 0. --dataset k400 (the default) samples 16 frames --sampling-rate \
            apart, flips, and tests 5x3 views; --dataset ssv2 takes one frame from each of 16 segments, never flips \
            (Something-Something labels name left and right) and tests 2x3 views. Training views get the original's \
            augmentation: RandAugment m7-n4 (--rand-augment, --no-rand-augment), a random-resized crop (--train-crop), \
            random erasing 0.25 (--random-erasing) and two views per video (--repeated-augment). With a classes.json in \
            --data-root (mvd synth writes one), accuracy is also reported per class kind (appearance, motion). \
            See docs/method.md §6.5, §6.6 and §7.4.
            """)

    @OptionGroup var encoder: EncoderSource
    @Option(name: .customLong("protocol"), help: "knn, linear or finetune; comma-separated for several.")
    var protocols = CommaSeparated<ProtocolChoice>([.knn, .linear])
    @Option(help: "Training manifest.", transform: URL.init(fileURLWithPath:)) var trainManifest: URL
    @Option(help: "Validation manifest.", transform: URL.init(fileURLWithPath:)) var valManifest: URL
    @Option(help: "Directory the manifests' paths are relative to.", transform: URL.init(fileURLWithPath:)) var dataRoot: URL?
    @Option(help: "Frame stride of the evaluation views (default 4, as the original's K400 recipe); --dataset ssv2 fine-tuning has none.")
    var samplingRate: Int?
    @Option(help: "Directory for the JSON results (default: the run directory, else the current one).", transform: URL.init(fileURLWithPath:))
    var out: URL?
    @Option(help: "k of k-NN.") var k: Int = 20
    @Option(help: "Fine-tuning epochs (default 10).") var epochs: Int?
    @Option(help: "Fine-tuning batch size (clips per micro-batch; default 8).") var batchSize: Int?
    @Option(help: "Fine-tuning micro-batches per optimiser step (the original's --update_freq; default 1).") var accumulate: Int?
    @Option(help: "Fine-tuning base learning rate (× total batch / 256; total batch = --batch-size × --accumulate; default 5e-4).") var lr: Double?
    @Option(help: "Fine-tuning epochs of linear warm-up from 0 (default 5).") var warmupEpochs: Int?
    @Option(help: "Fine-tuning layer-wise lr decay (default 0.75; 1 = none).") var layerDecay: Float?
    @Option(help: "Fine-tuning stochastic depth (default 0.1).") var dropPath: Float?
    @Option(help: "Fine-tuning dropout before the head (default 0; the original uses 0.5 for ViT-L and ViT-H).") var fcDropout: Float?
    @Flag(inversion: .prefixedNo, help: "Fine-tuning with Mixup 0.8 / CutMix 1.0 (the corrected per-frame CutMix), as the original recipe.")
    var mixup: Bool?
    @Option(help: "Fine-tuning recipe: k400 (dense sampler, flips, 5x3 test views; the default) or ssv2 (segment sampler, no flips, 2x3 test views).")
    var dataset: FineTuneDataset?
    @Flag(
        inversion: .prefixedNo,
        help:
            "Random horizontal flips while fine-tuning (default: on for k400, off for ssv2); --no-flip for tasks a mirror image changes, such as left vs right motion."
    )
    var flip: Bool?
    @Option(
        help:
            "Fine-tuning RandAugment of each training view: m<magnitude>-n<ops>[-mstd<std>] (default m7-n4, std 0.5, as the original's rand-m7-n4-mstd0.5-inc1).",
        transform: EvaluateCommand.randAugment(_:))
    var randAugment: RandAugment?
    @Flag(help: "Fine-tuning without RandAugment.") var noRandAugment = false
    @Option(help: "Fine-tuning probability that a training view gets one box of N(0, 1) noise after normalisation (default 0.25; 0 = off).")
    var randomErasing: Float?
    @Option(help: "Fine-tuning views per video in a micro-batch, each augmented on its own (default 2, as the original; 1 = off).")
    var repeatedAugment: Int?
    @Option(
        help:
            "Fine-tuning training crop: random-resized (area 8-100 %, aspect 3/4-4/3, the original's; the default) or multi-scale (the pre-training crop)."
    )
    var trainCrop: FineTuneCrop?
    @Option(
        help:
            "Pooling of the frozen tokens for knn/linear: mean (over all tokens) or time (spatial mean per time step, concatenated in order: keeps the direction of time)."
    )
    var pooling: FeaturePooling = .mean
    @Option(
        help:
            "After fine-tuning, write the fine-tuned encoder here as a video teacher for extract-features (safetensors, VideoMAE layout; needs --position-table sinusoid-1d).",
        transform: URL.init(fileURLWithPath:))
    var saveTeacher: URL?
    @Option(help: "Temporal × spatial test views (default 5x3 for k400, 2x3 for ssv2).", transform: ViewGrid.init(parsing:))
    var testViews: ViewGrid?
    @Option var seed: UInt64 = 0
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @OptionGroup var precision: PrecisionOptions
    @Flag(help: "Replace an existing evaluation.json in the output directory.") var overwrite = false

    public init() {}

    /// The most neighbours k-NN accepts (it uses at most the number of training videos anyway).
    static let maxK = 100_000

    var resultFile: URL { (out ?? encoder.run ?? URL(fileURLWithPath: ".")).appendingPathComponent("evaluation.json") }

    /// Every flag in range before an encoder is loaded or a video decoded.
    public func validate() throws {
        try FlagChecks.threads(threads)
        let chosen = protocols.values
        try FlagChecks.integer("--sampling-rate", frameStride, in: 1...FineTuneConfig.limits.samplingRate)
        if chosen.contains(.knn) { try FlagChecks.integer("--k", k, in: 1...Self.maxK) }
        if chosen.contains(.finetune) {
            do { try fineTuneConfig().validate() } catch { throw ValidationError("\(error)") }
            if dataset == .ssv2 && samplingRate != nil && chosen == [.finetune] {
                throw ValidationError("--sampling-rate has no effect on --dataset ssv2 fine-tuning (one frame from each segment); drop it")
            }
        } else if let flag = fineTuningOnlyFlagsGiven.first {
            throw ValidationError(
                "\(flag) only applies to fine-tuning, which this run does not do (--protocol \(chosen.map(\.rawValue).joined(separator: ","))); "
                    + "drop it, or add finetune to --protocol")
        }
        try FlagChecks.outputFolder(resultFile.deletingLastPathComponent())
        try FlagChecks.refuseExisting([resultFile], overwrite: overwrite)
        if let file = saveTeacher {
            guard chosen.contains(.finetune) else { throw ValidationError("--save-teacher saves a fine-tuned encoder: add --protocol finetune") }
            guard encoder.positionTable == .sinusoid1D else {
                throw ValidationError("--save-teacher needs --position-table sinusoid-1d: a video teacher always runs with VideoMAE's 1-D table")
            }
            try FlagChecks.refuseExisting([file], overwrite: overwrite)
        }
        if encoder.rawPixels && chosen.contains(.finetune) {
            throw ValidationError("--raw-pixels has no encoder to fine-tune; use it with --protocol knn,linear")
        }
    }

    /// The fine-tuning flags given on the command line (each refused when nothing is fine-tuned: it would be ignored).
    var fineTuningOnlyFlagsGiven: [String] {
        let given: [(String, Bool)] = [
            ("--epochs", epochs != nil), ("--batch-size", batchSize != nil), ("--accumulate", accumulate != nil),
            ("--lr", lr != nil), ("--warmup-epochs", warmupEpochs != nil), ("--layer-decay", layerDecay != nil),
            ("--drop-path", dropPath != nil), ("--fc-dropout", fcDropout != nil), ("--mixup / --no-mixup", mixup != nil),
            ("--dataset", dataset != nil), ("--flip / --no-flip", flip != nil), ("--rand-augment", randAugment != nil),
            ("--no-rand-augment", noRandAugment), ("--random-erasing", randomErasing != nil),
            ("--repeated-augment", repeatedAugment != nil), ("--train-crop", trainCrop != nil), ("--test-views", testViews != nil)
        ]
        return given.filter(\.1).map(\.0)
    }

    /// `--rand-augment`'s value, refused with the form it must have.
    static func randAugment(_ spec: String) throws -> RandAugment {
        guard let parsed = RandAugment(spec: spec) else {
            throw ValidationError(
                "must look like m7-n4 (magnitude 0-\(Int(RandAugment.maxMagnitude)), 1-\(RandAugment.maxCount) ops, "
                    + "optional -mstd0.5), got \(spec)")
        }
        return parsed
    }

    /// The frame stride of the evaluation views: `--sampling-rate`, else the K400 recipe's 4.
    var frameStride: Int { samplingRate ?? 4 }

    /// The fine-tuning settings of the flags over the `--dataset` recipe's defaults; `--test-views` must be TxS.
    func fineTuneConfig() throws -> FineTuneConfig {
        let recipe = dataset ?? .k400
        var config = FineTuneConfig(dataset: recipe)
        if let testViews {
            config.testSegments = testViews.temporal
            config.testCrops = testViews.spatial
        }
        // A flag not given keeps the recipe's default (FineTuneConfig's).
        if let epochs { config.epochs = epochs }
        if let batchSize { config.batchSize = batchSize }
        if let accumulate { config.accumulate = accumulate }
        if let warmupEpochs { config.warmupEpochs = warmupEpochs }
        if let lr { config.baseLR = lr }
        if let layerDecay { config.layerDecay = layerDecay }
        if let dropPath { config.dropPath = dropPath }
        if let fcDropout { config.fcDropout = fcDropout }
        if let mixup { config.mixup = mixup }
        config.flip = flip ?? recipe.flips
        config.samplingRate = frameStride
        config.seed = seed
        if noRandAugment {
            guard randAugment == nil else { throw ValidationError("--rand-augment and --no-rand-augment contradict each other; keep one") }
            config.randAugment = nil
        } else if let randAugment {
            config.randAugment = randAugment
        }
        if let randomErasing { config.randomErasing = randomErasing }
        if let repeatedAugment { config.repeatedAugment = repeatedAugment }
        if let trainCrop { config.crop = trainCrop }
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
        let chosen = protocols.values
        let train = try Manifest.load(from: trainManifest, dataRoot: dataRoot?.path)
        let val = try Manifest.load(from: valManifest, dataRoot: dataRoot?.path)
        try Manifest.checkLabels(train, file: trainManifest)
        try Manifest.checkLabels(val, file: valManifest)
        let classes = (train + val).map(\.label).max().map { $0 + 1 } ?? 0
        let subsets = try classSubsets()
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

    /// Appearance / motion subsets from `classes.json` beside the videos, when present; one that is present but
    /// unreadable stops the evaluation rather than silently dropping the per-kind accuracies.
    func classSubsets() throws -> [ClassSubset] {
        guard let root = dataRoot,
            FileManager.default.fileExists(atPath: root.appendingPathComponent(SyntheticDataset.classesFile).path)
        else { return [] }
        let classes: [SyntheticClass]
        do { classes = try SyntheticDataset.loadClasses(from: root) } catch {
            throw CommandFailure(
                "\(root.appendingPathComponent(SyntheticDataset.classesFile).path) cannot be read (\(error)); "
                    + "write it again with mvd synth, or remove it to evaluate without per-kind accuracies")
        }
        return SyntheticClassKind.allCases.map { kind in
            ClassSubset(name: kind.rawValue, classes: classes.filter { $0.kind == kind }.map(\.label))
        }.filter { !$0.classes.isEmpty }
    }

    func frozenProtocols(
        _ protocols: [ProtocolChoice], train: [ManifestEntry], val: [ManifestEntry], classes: Int,
        subsets: [ClassSubset]
    ) throws -> [EvaluationResult] {
        let line = ProgressLine(plainInterval: 10)
        let tr: EncodedSet, va: EncodedSet
        if encoder.rawPixels {
            let (_, config) = try encoder.model.resolve(defaultArch: "vit_small")
            tr = ClipFeatures.rawPixels(entries: train, config: config, samplingRate: frameStride) { i, n in line.update("reading train \(i)/\(n)") }
            va = ClipFeatures.rawPixels(entries: val, config: config, samplingRate: frameStride) { i, n in line.update("reading val \(i)/\(n)") }
        } else {
            let model = try encoder.classifier(classes: classes, dropPath: 0, seed: seed)
            tr = ClipFeatures.pooled(encoder: model, entries: train, samplingRate: frameStride, pooling: pooling) { i, n in
                line.update("encoding train \(i)/\(n)")
            }
            va = ClipFeatures.pooled(encoder: model, entries: val, samplingRate: frameStride, pooling: pooling) { i, n in
                line.update("encoding val \(i)/\(n)")
            }
        }
        line.finish()
        let skipped = tr.failures + va.failures
        for text in SkippedVideoReport.lines(skipped, of: train.count + val.count, recordedIn: resultFile.path) { print(text) }
        var out: [EvaluationResult] = []
        if protocols.contains(.knn) {
            out.append(
                try evaluateKNN(
                    run: encoder.label, trainFeatures: tr.features, trainLabels: tr.labels, valFeatures: va.features,
                    valLabels: va.labels, classCount: classes, configuration: KNNConfiguration(k: k), subsets: subsets))
        }
        if protocols.contains(.linear) {
            var c = LinearProbeConfiguration()
            c.seed = seed
            out.append(
                try evaluateLinearProbe(
                    run: encoder.label, trainFeatures: tr.features, trainLabels: tr.labels, valFeatures: va.features,
                    valLabels: va.labels, classCount: classes, configuration: c, subsets: subsets))
        }
        for i in out.indices { out[i].skippedVideos = skipped }
        return out
    }

    func fineTune(train: [ManifestEntry], val: [ManifestEntry], classes: Int, subsets: [ClassSubset]) throws -> EvaluationResult {
        let config = try fineTuneConfig()
        let tuner = FineTuner(model: try encoder.classifier(classes: classes, dropPath: config.dropPath, seed: seed), config: config)
        let line = ProgressLine(plainInterval: 10)
        let trainSkipped = try tuner.train(train, classes: classes) { s, n, loss in
            line.update(String(format: "fine-tune step %d/%d loss %.4f", s, n, loss))
        }
        line.finish()
        for text in SkippedVideoReport.lines(trainSkipped, of: train.count, recordedIn: resultFile.path) { print(text) }
        if let file = saveTeacher {
            var model = tuner.model
            let tensors = try model.videoTeacherTensors(positionEncoding: encoder.positionTable)
            try SafeTensors.write(StateDict(tensors: tensors), to: file)
            print("wrote the fine-tuned encoder as a video teacher (\(tensors.count) tensors) to \(file.path)")
        }
        let (views, skipped) = tuner.test(val)
        for text in SkippedVideoReport.lines(skipped, of: val.count, recordedIn: resultFile.path) { print(text) }
        var result = try evaluateMultiView(run: encoder.label, views: views, subsets: subsets)
        result.trainCount = train.count
        result.skippedVideos = trainSkipped + skipped
        return result
    }
}
