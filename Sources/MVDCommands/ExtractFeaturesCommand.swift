import ArgumentParser
import Collective
import CollectiveMPI
import FeatureExtract
import FeatureStore
import Foundation
import Models
import Tensor
import VideoIO

extension TeacherChoice: ExpressibleByArgument {}
extension ViewChoice: ExpressibleByArgument {}
extension FeatureDType: ExpressibleByArgument {}

/// `extract-features`: runs one frozen teacher over a manifest, once, into the HDF5 feature cache.
public struct ExtractFeaturesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "extract-features",
        abstract: "Run a frozen teacher once over a video manifest and store its per-token targets in an HDF5 cache.",
        discussion: """
            The image teacher sees frames 0, 2, 4, … of each view; the video teacher sees the whole view. Targets are \
            the last block's output before the final LayerNorm, as in MVD. Rerunning the same command resumes an \
            interrupted run. A second teacher (another --teacher/--checkpoint/--name) added to the same --out reuses \
            the stored views, so both targets belong to the same pixels. Inspect the result with `mvd inspect FILE`, \
            `h5dump -H FILE` or h5py; the file format is specified in docs/cache-format.md. Under mpirun -n N, process \
            r extracts shard r/N into a file beside --out, and process 0 merges the shards into --out when all are done \
            (README, "More than one machine").

            Example (official ViT-B teachers):
              extract-features --teacher image --arch vit_base --checkpoint mae_pretrain_vit_base.pth \\
                --manifest k400/train.csv --data-root /data/k400 --out k400-feats.h5
              extract-features --teacher video --arch vit_base --checkpoint videomae_base_k400_1600e.pth \\
                --manifest k400/train.csv --data-root /data/k400 --out k400-feats.h5

            ViT-H (MAE's image teacher has 14-pixel patches and sees each crop resized to 196 px):
              extract-features --teacher image --arch vit_huge --teacher-input-size 196 --checkpoint mae_pretrain_vit_huge.pth \\
                --manifest k400/train.csv --data-root /data/k400 --out k400-h-feats.h5
            """)

    @Option(help: "image, video, or none (only the rows' views and pixels: the data of pixel-target training).") var teacher: TeacherChoice
    @Option(help: "Teacher weights (.pth or .safetensors; official MAE / VideoMAE key layouts).", transform: URL.init(fileURLWithPath:))
    var checkpoint: URL?
    @OptionGroup var model: ModelOptions
    @Option(help: "Manifest: one 'path label' per line.", transform: URL.init(fileURLWithPath:)) var manifest: URL
    @Option(help: "Directory the manifest's paths are relative to.", transform: URL.init(fileURLWithPath:)) var dataRoot: URL?
    @Option(help: "The cache file to create or resume (.h5).", transform: URL.init(fileURLWithPath:)) var out: URL
    @Option(help: "Group name under /teachers (default: the teacher kind).") var name: String?
    @Option(help: "Views (rows) per video.") var viewsPerVideo: Int = 1
    @Option(help: "random (pre-training sampler and multi-scale crop, seeded) or center (deterministic).") var view: ViewChoice = .random
    @Option(help: "Frames per view (default: the model's).") var numFrames: Int?
    @Option(help: "Frame stride within a view.") var samplingRate: Int = 4
    @Option(help: "Side of the square input (default: the model's).") var inputSize: Int?
    @Option(
        help:
            "Side of the frames the teacher sees: each stored crop resized to it (default: --input-size). 196 for the patch-14 MAE ViT-H image teacher, whose 14×14 token grid then matches a patch-16 student at 224."
    )
    var teacherInputSize: Int?
    @Option(
        help:
            "float16 (default), float32, or int8 (a signed byte per value and a float32 scale per token: about half of float16's size; docs/cache-format.md)."
    ) var dtype: FeatureDType = .float16
    @Flag(help: "Also store each row's exact uint8 student input in /pixels (no re-decoding when training).") var storePixels = false
    @Option(help: "This process's part, I/N: N processes each run with their I; join them with `mvd merge`.", transform: Shard.init(parsing:))
    var shard: Shard = .whole
    @Option(help: "Clips per teacher forward.") var batchSize: Int = 1
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @OptionGroup var precision: PrecisionOptions
    @Option(help: "FFmpeg decoding threads.") var decodeThreads: Int = 1
    @Option(
        help:
            "When another process is writing --out (adding its own teacher, resuming, merging), wait up to this many seconds for it instead of stopping at once."
    ) var waitForWriter: Double = 0
    @Option(help: "Seed of the random views.") var seed: UInt64 = 0

    public init() {}

    func makeConfig() throws -> ExtractConfig {
        var (arch, config) = try model.resolve(defaultArch: "vit_base")
        if teacher == .image && model.modelConfig == nil {
            // MAE's ViT-H has 14-pixel patches, unlike the patch-16 ViT-H students and video teacher.
            do { config = try ModelConfig.imageTeacherPreset(arch) } catch { throw ValidationError("\(error)") }
        }
        guard teacher == .none || checkpoint != nil else { throw ValidationError("--teacher \(teacher.rawValue) needs --checkpoint FILE") }
        var part = shard
        let launch = LaunchEnvironment()
        if launch.isParallel {
            guard shard.isWhole else {
                throw ValidationError(
                    "--shard \(shard) under mpirun -n \(launch.size): mpirun already splits the manifest (process r writes "
                        + "shard r/\(launch.size)); drop --shard, or run the shards as separate processes without mpirun")
            }
            part = try Shard(index: launch.rank, count: launch.size)
        }
        return ExtractConfig(
            teacher: teacher, checkpoint: checkpoint, architecture: arch, model: config, manifest: manifest,
            dataRoot: dataRoot, out: writtenPath(launch), name: name, viewsPerVideo: viewsPerVideo, view: view,
            numFrames: numFrames ?? config.numFrames, samplingRate: samplingRate,
            inputSize: inputSize ?? config.inputSize, dtype: dtype, storePixels: storePixels,
            shardIndex: part.index, shardCount: part.count, batchSize: batchSize, decodeThreads: decodeThreads, seed: seed,
            precision: precision.resolved(recorded: recordedPrecision()), teacherInputSize: teacherInputSize)
    }

    /// The file this process writes: --out, or under mpirun its shard file beside --out.
    private func writtenPath(_ launch: LaunchEnvironment) -> URL {
        guard launch.isParallel, let part = try? Shard(index: launch.rank, count: launch.size) else { return out }
        return part.file(beside: out)
    }

    /// The precision this teacher was extracted in, when the written file already holds it: a rerun that resumes keeps it.
    private func recordedPrecision() -> Precision? {
        let file = writtenPath(LaunchEnvironment())
        guard teacher != .none, FileManager.default.fileExists(atPath: file.path), let reader = try? FeatureStoreReader(at: file) else { return nil }
        let group = name ?? teacher.rawValue
        return reader.teachers.first { $0.name == group }.flatMap { Precision(rawValue: $0.precision) }
    }

    /// Every value in range, the manifest's labels class indices, and room on disk for the cache, before the
    /// teacher is loaded or the cache created.
    public func validate() throws {
        try FlagChecks.threads(threads)
        guard waitForWriter >= 0, waitForWriter.isFinite else {
            throw ValidationError("--wait-for-writer must be 0 (stop at once) or a positive number of seconds, not \(waitForWriter)")
        }
        try FlagChecks.outputFolder(out.deletingLastPathComponent())
        let config = try makeConfig()
        if LaunchEnvironment().isParallel && FileManager.default.fileExists(atPath: out.path) {
            // The merge builds --out afresh; a cache that exists already is extended by a single process.
            throw ValidationError(
                "\(out.path) exists, and under mpirun extract-features writes a new cache (shards merged into --out); "
                    + "add a teacher to an existing cache without mpirun, or give a new --out (delete \(out.path) first if it is "
                    + "what an earlier mpirun run merged and you mean to redo it)")
        }
        if shard.isWhole, let problem = Self.leftoverShards(beside: out, processes: LaunchEnvironment().size) {
            throw CommandFailure(problem)
        }
        do { try config.validate() } catch { throw ValidationError("\(error)") }
        // The manifest's and the disk's problems are not the flags': their typed errors are shown without the usage.
        let entries = try Manifest.load(from: manifest, dataRoot: dataRoot?.path)
        try Manifest.checkLabels(entries, file: manifest)
        try config.checkStorage(videoCount: entries.count)
    }

    /// Why a run over `processes` processes must not start while an interrupted run over another number of processes
    /// left its shard files beside `out` (and `out` does not exist yet); nil when nothing is left over.
    ///
    /// Such a run would use none of those rows (it writes its own shards, or `out` itself) and redo them all, and the
    /// old shards would stay on disk. The rows themselves do not depend on the process count (a row's view is a
    /// function of the manifest, the seed and its global row index), so the old shards are resumable: by the same
    /// process count, or, merged into `out`, by a single process.
    static func leftoverShards(beside out: URL, processes: Int) -> String? {
        guard !FileManager.default.fileExists(atPath: out.path) else { return nil }
        let stale = Shard.files(beside: out).filter { $0.shard.count != processes }
        guard let count = stale.first?.shard.count else { return nil }
        let counts = Array(Set(stale.map(\.shard.count))).sorted()
        let ofCount = stale.filter { $0.shard.count == count }
        let missing = (0..<count).filter { i in !ofCount.contains { $0.shard.index == i } }
        let now = processes > 1 ? "this run over \(processes) processes" : "this run without mpirun"
        var text =
            "an interrupted extraction under mpirun -n \(counts.map(String.init).joined(separator: " / -n ")) left its shards beside "
            + "\(out.path): \(stale.map(\.url.lastPathComponent).joined(separator: ", ")). \(now.prefix(1).uppercased() + now.dropFirst()) "
            + "would use none of their rows and redo them all. Rerun under mpirun -n \(count) to resume them (the shards are "
            + "merged into \(out.lastPathComponent) at the end)"
        if missing.isEmpty {
            text +=
                "; or join them now with `mvd merge \(ofCount.map(\.url.path).joined(separator: " ")) --out \(out.path)` and "
                + "rerun without mpirun, which resumes the merged cache"
        } else {
            text += " (shard \(missing.map { "\($0)/\(count)" }.joined(separator: ", ")) was never written, so they cannot be merged yet)"
        }
        return text + "; or delete them to start over."
    }

    public func run() throws {
        try applyThreads(threads)
        let communicator = Launch.communicator()
        try RankedRun.run(communicator, command: "extract-features") {
            guard communicator.size > 1 else { return try extract(try makeConfig(), root: true) }
            // Every rank has checked the flags (and that --out does not exist) before any shard is written.
            communicator.barrier()
            try extractShards(communicator)
        }
    }

    /// Under mpirun: every rank extracts its shard; when all succeeded, rank 0 merges them into --out and deletes
    /// them. When any failed, every rank learns which, the shards stay for a rerun to resume, and the run fails.
    private func extractShards(_ communicator: Communicator) throws {
        let config = try makeConfig(), (rank, size) = (communicator.rank, communicator.size)
        let shards = try (0..<size).map { try Shard(index: $0, count: size).file(beside: out) }
        var failed = [Double](repeating: 0, count: size)
        do { try extract(config, root: rank == 0) } catch {
            failed[rank] = 1
            let message = (error as? ValidationError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("extract-features: shard \(rank)/\(size) (\(shards[rank].path)) failed: \(message)\n".utf8))
        }
        let sums = communicator.sumInRankOrder(failed)
        let failedShards = sums.indices.filter { sums[$0] != 0 }
        guard failedShards.isEmpty else {
            let names = failedShards.map { "\($0)/\(size)" }.joined(separator: ", ")
            throw SharedFailure(
                error: CommandFailure(
                    "shard \(names) failed (the message of each is above); the shard files are kept beside \(out.path) "
                        + "(\(shards.map(\.lastPathComponent).joined(separator: ", "))). Fix the cause and rerun the same mpirun command: "
                        + "every shard resumes where it stopped, and the shards are merged into \(out.path) when all are done"))
        }
        guard rank == 0 else { return }
        let report: FeatureStoreMerge.Report
        do { report = try FeatureStoreMerge.merge(shards: shards, into: out, wait: writerWait) } catch {
            throw CommandFailure(
                "merging the \(size) shards into \(out.path) failed: \(error). The shards are kept; rerun the same "
                    + "command, or join them with `mvd merge \(shards.map(\.path).joined(separator: " ")) --out \(out.path)`")
        }
        // The shards' lock files go with them: the shards are gone, so no process can be waiting to change them.
        for url in shards {
            try? FileManager.default.removeItem(at: url)
            try? FileManager.default.removeItem(atPath: url.path + ".lock")
        }
        let done = report.rowsDone.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("merged \(size) shards into \(out.path): \(report.videoCount) videos, \(report.rowCount) rows (done per teacher: \(done))")
        for (name, statistics) in report.statistics.sorted(by: { $0.key < $1.key }) {
            print("teacher \(name) complete: stored its per-channel mean and std over \(statistics.rows) rows (feature_mean, feature_std)")
        }
    }

    /// Waiting for another writer of --out as --wait-for-writer says, saying so on standard error.
    private var writerWait: WriterWait {
        WriterWait(seconds: waitForWriter) { line in FileHandle.standardError.write(Data("extract-features: \(line)\n".utf8)) }
    }

    /// Extracts `config` (the whole manifest, or one shard) and prints its summary; progress only when `root`.
    private func extract(_ config: ExtractConfig, root: Bool) throws {
        let extractor = try Extractor(config: config, wait: writerWait)
        let part = config.shardCount > 1 && LaunchEnvironment().isParallel ? "shard \(config.shardIndex)/\(config.shardCount) " : ""
        if !extractor.skippedKeys.isEmpty && root {
            print(
                "teacher \(config.name): skipped \(extractor.skippedKeys.count) checkpoint keys the original also ignores: \(extractor.skippedKeys.joined(separator: ", "))"
            )
        }
        if root { print(precisionLine(config.precision)) }
        let line = ProgressLine()
        let summary = try extractor.run { p in
            guard root else { return }
            line.update(
                String(
                    format: "extract %@: %@%d/%d rows, %.2f clips/s, %d failed, ETA %@", config.name, part, p.rowsDone, p.rowsTotal,
                    p.clipsPerSecond, p.videosFailed, formatDuration(p.secondsRemaining)))
        }
        if root { line.finish() }
        print(
            String(
                format: "%@done: %d rows written (%d already done), %d videos failed, %.2f clips/s, %.1f MB written, %@ "
                    + "(decode %.1fs on the reader thread, teacher %.1fs, write %.1fs, waited for decode %.1fs)", part,
                summary.rowsWritten, summary.rowsAlreadyDone, summary.videosFailed, summary.clipsPerSecond,
                Double(summary.bytesWritten) / 1e6, formatDuration(summary.seconds), summary.decodeSeconds,
                summary.forwardSeconds, summary.writeSeconds, summary.waitSeconds))
        for (name, statistics) in summary.statisticsWritten.sorted(by: { $0.key < $1.key }) {
            let what = summary.rowsWritten == 0 ? "the teacher was already complete; added its" : "stored its"
            print(
                "teacher \(name) complete: \(what) per-channel mean and std over \(statistics.rows) rows "
                    + "(/teachers/\(name) attributes feature_mean, feature_std; used by distill --standardize-targets)")
        }
        for f in summary.failures.prefix(5) { print("  failed: \(f.path): \(f.reason)") }
        if summary.failures.count > 5 { print("  … and \(summary.failures.count - 5) more (see `mvd inspect \(config.out.path)`)") }
    }
}
