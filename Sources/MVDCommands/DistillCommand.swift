import ArgumentParser
import Collective
import CollectiveMPI
import Distill
import FeatureStore
import Foundation
import Models
import Tensor

extension MaskKind: ExpressibleByArgument {}
extension RegressionLoss: ExpressibleByArgument {}
extension PositionEncoding: ExpressibleByArgument {}

/// What `distill` regresses.
public enum TargetKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Cached teacher features (MVD).
    case features
    /// Normalised pixels of the masked patches (stage 1 / the VideoMAE baseline; MAE for --image-model).
    case pixels
}

/// How pixel targets are normalised (`--pixel-norm`).
public enum PixelNormChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Per patch, as VideoMAE (per colour channel) and MAE's norm_pix_loss do.
    case patch
    /// The pixels in [0, 1].
    case none
}

/// `distill`: trains a student from a feature cache, with no teacher in the loop.
public struct DistillCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Train a student by masked feature distillation from a feature cache (or with pixel targets).",
        discussion: """
            One decoder branch per teacher in the cache regresses that teacher's features at the masked tokens. \
            The peak learning rate is --lr × total batch / 256, where the total batch is --batch-size × --accumulate \
            clips (frames for --image-model); it is warmed up linearly from 0, then follows a cosine to --min-lr \
            (scaled alike). The peak lr in force is printed at the start. \
            The run directory gets config.json, metrics.jsonl and checkpoint.safetensors (atomic, every --save-every \
            steps and at the end); --resume continues the same trajectory. See docs/design.md and docs/method.md.

            Paper recipe, ViT-S student from two ViT-B teachers: the original's total batch 1024 (16 clips per GPU × 2 \
            accumulation × 32 GPUs) with base lr 1.5e-4 gives a peak lr of 6e-4 (floor 1e-4 → 4e-4). On one machine the \
            same total batch 1024 and peak lr 6e-4 come from 16 clips × 64 accumulation steps:
              distill --cache k400-feats.h5 --data-root /data/k400 --out runs/s-from-b --student vit_small \\
                --teachers image,video --epochs 400 --batch-size 16 --accumulate 64 --lr 1.5e-4 --min-lr 1e-4 \\
                --warmup-epochs 40 --drop-path 0.1
            (--batch-size 16 --accumulate 2 on one machine is a total batch of 32, so the same --lr 1.5e-4 peaks at \
            1.9e-5, 32 times lower; to keep a smaller total batch, scale --lr and --min-lr by 1024 / total batch.)
            Under mpirun -n N, every process reads its own part of each step and the gradients are summed over the \
            processes; --batch-size is per process and the total batch is --batch-size × --accumulate × N \
            (README, "More than one machine").
            Stage 1 (a video teacher from pixels, VideoMAE objective):
              distill --cache feats.h5 --target pixels --out runs/video-teacher --model-config small.json
            """)

    @Option(help: "The feature cache (.h5) written by extract-features.", transform: URL.init(fileURLWithPath:)) var cache: URL
    @Option(help: "The run directory.", transform: URL.init(fileURLWithPath:)) var out: URL
    @Option(
        help: "Videos directory, when the cache holds no pixels (rows are re-decoded from their frames and crop).",
        transform: URL.init(fileURLWithPath:))
    var dataRoot: URL?
    @Option(help: "Student preset: vit_small, vit_base, vit_large, vit_huge.") var student: String?
    @Option(help: "Custom student JSON (see --help of extract-features for the keys).", transform: URL.init(fileURLWithPath:))
    var modelConfig: URL?
    @Option(help: "features (MVD) or pixels (VideoMAE / MAE objective).") var target: TargetKind = .features
    @Flag(help: "With --target pixels: train a single-frame image model (MAE objective on frames 0, 2, 4, …).") var imageModel = false
    @Option(
        help:
            "With --target pixels: patch (each patch normalised by its own mean and std, as VideoMAE and MAE's norm_pix_loss) or none (the pixels in [0, 1])."
    )
    var pixelNorm: PixelNormChoice = .patch
    @Option(help: "Teacher groups of the cache to distil from, comma-separated (default: all).") var teachers: CommaSeparated<String>?
    @Option(help: "Loss per teacher: one value, or one per --teachers entry (smooth-l1, l2, l1).")
    var loss = CommaSeparated<RegressionLoss>([.smoothL1])
    @Option(help: "Weight per teacher: one value, or one per --teachers entry.") var lossWeight = CommaSeparated<Float>([1])
    @Flag(help: "Parameter-free LayerNorm on the teacher features before the loss (MVD's --norm_feature).") var normTargets = false
    @Flag(
        help:
            "Standardise each teacher's features per channel by that teacher's mean and std over the cache, (f − mean) / √(std² + 1e-6), so that teachers of different scales weigh alike (UNIC, Theia). Applied first, then --norm-targets when both are given. The statistics are written by extract-features when a teacher completes; for an older cache, rerun its extract-features command."
    )
    var standardizeTargets = false
    @Option(help: "Position table of the student (default: sincos-3d for features, sinusoid-1d for video pixels, sincos-2d for --image-model).")
    var positionTable: PositionEncoding?
    @Option(help: "tube or random.") var mask: MaskKind = .tube
    @Option(help: "Fraction of tokens masked.") var maskRatio: Double?
    @Option(help: "Decoder depth (default 2, or the config's decoder).") var decoderDepth: Int?
    @Option(help: "Decoder width (the original's --feat_decoder_embed_dim; default the encoder's, or the config's decoder).")
    var decoderWidth: Int?
    @Option(help: "Decoder heads (the original's --feat_decoder_num_heads; default the encoder's, or the config's decoder).")
    var decoderHeads: Int?
    @Option var epochs: Int = 10
    @Option(help: "Clips per micro-batch.") var batchSize: Int = 2
    @Option(help: "Micro-batches per optimiser step.") var accumulate: Int = 1
    @Option(help: "Base learning rate (scaled by total batch / 256).") var lr: Double = 1.5e-4
    @Option(help: "Base floor of the cosine (scaled likewise).") var minLR: Double = 1e-5
    @Option var warmupEpochs: Int = 1
    @Option var weightDecay: Double = 0.05
    @Option(help: "Clip the global gradient norm to this value.") var clipGrad: Double?
    @Option var dropPath: Float = 0.1
    @Option var seed: UInt64 = 0
    @Option(help: "Steps between checkpoints.") var saveEvery: Int = 50
    @Option(help: "Steps between metric lines.") var logEvery: Int = 10
    @Flag(help: "Continue the run in --out from its checkpoint.") var resume = false
    @Flag(help: "Replace the run already in --out (its checkpoint, metrics and config) with a new one.") var overwrite = false
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @OptionGroup var precision: PrecisionOptions

    public init() {}

    /// Refuses, before anything is written, values out of range and an --out that does not fit --resume: a new run
    /// never silently replaces an old one, and a resumed run never silently starts from scratch.
    public func validate() throws {
        try FlagChecks.threads(threads)
        try FlagChecks.outputFolder(out)
        let run = RunDirectory(out)
        if resume {
            guard !overwrite else { throw ValidationError("--resume continues the run in \(out.path) and --overwrite replaces it; give one of them") }
            guard FileManager.default.fileExists(atPath: run.checkpointURL.path) else {
                throw ValidationError(
                    "--resume: there is no checkpoint at \(run.checkpointURL.path), so there is nothing to continue; "
                        + "start the run without --resume (with --overwrite if \(out.path) holds files of an earlier start)")
            }
        } else if !overwrite, let existing = run.existingRunFiles.first {
            throw ValidationError(
                "\(out.path) already holds a run (\(existing.path)); continue it with --resume, choose a new --out, "
                    + "or pass --overwrite to replace it")
        }
        _ = try trainConfig()
    }

    public func run() throws {
        try applyThreads(threads)
        let communicator = Launch.communicator()
        try RankedRun.run(communicator, command: "distill") { try train(communicator) }
    }

    private func train(_ communicator: Communicator) throws {
        // Every rank has checked the flags against --out before rank 0 changes it.
        communicator.barrier()
        let root = communicator.isRoot
        let (config, student, data) = try prepare()
        let run = RunDirectory(out)
        let trainer = try Trainer(config: config, data: data, run: run, student: student, communicator: communicator)
        if overwrite && root {
            try run.removeRunFiles()
        }
        if root {
            print(precisionLine(config.precision))
            print(
                "distill: \(trainer.videoCount) videos (\(data.rowCount) rows, one view per video per epoch), \(trainer.stepsPerEpoch) steps/epoch, \(trainer.totalSteps) steps; peak lr \(String(format: "%.3g", config.peakLR)); objective \(config.objective.termNames.joined(separator: "+"))"
            )
            if config.ranks > 1 {
                print(
                    "distill: \(config.ranks) processes × \(config.batchSize) clips × \(config.accumulate) accumulation = total batch \(config.totalBatch)"
                )
            }
        }
        let line = ProgressLine(plainInterval: 5)
        var sum = (steps: 0, seconds: 0.0, stepSeconds: 0.0, bytes: 0)
        do {
            try trainer.train(resume: resume, announce: { if root { print("distill: \($0)") } }) { p in
                guard root else { return }
                sum.steps += 1
                sum.seconds += p.gradientSumSeconds
                sum.bytes = p.gradientSumBytes
                sum.stepSeconds += Double(config.totalBatch) / max(p.clipsPerSecond, 1e-9)
                let terms = zip(config.objective.termNames, p.loss.terms).map { String(format: "%@ %.4f", $0, $1) }.joined(separator: " ")
                let gradientSum = config.ranks > 1 ? String(format: " grad-sum %.0f ms", 1000 * p.gradientSumSeconds) : ""
                line.update(
                    String(
                        format: "step %d/%d epoch %d loss %.4f (%@) lr %.2e %.1f clips/s data-wait %.0f%%%@ ETA %@",
                        p.step, p.totalSteps, p.epoch, p.loss.total, terms, p.lr, p.clipsPerSecond,
                        100 * p.dataWaitFraction, gradientSum, formatDuration(p.secondsRemaining)), force: p.step == p.totalSteps)
            }
        } catch {
            // The library's error (a non-finite loss, an unreadable row) is shown as it is, without the usage text.
            line.finish()
            throw error
        }
        line.finish()
        guard root else { return }
        if config.ranks > 1 && sum.steps > 0 {
            let n = Double(sum.steps)
            let mb = Double(sum.bytes) / 1e6
            let wire = mb * 2 * Double(config.ranks - 1) / Double(config.ranks)
            print(
                String(
                    format: "gradient sum over %d processes: %.1f MB of gradients per step (%.1f MB sent and as much received by each process), "
                        + "%.1f ms per step on average, %.0f%% of the step", config.ranks, mb, wire, 1000 * sum.seconds / n,
                    100 * sum.seconds / max(sum.stepSeconds, 1e-9)))
        }
        print("done: \(run.checkpointURL.path), metrics in \(run.metricsURL.path)")
    }
}
