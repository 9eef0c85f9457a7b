import FeatureStore
import Foundation
import Models
import Tensor

/// Which frozen teacher runs.
public enum TeacherChoice: String, Codable, Sendable, CaseIterable {
    /// MAE image teacher on frames 0, s, 2s, … (s = tubelet size) of each view.
    case image
    /// VideoMAE video teacher on the whole view.
    case video
    /// No teacher: only the rows' views (and pixels with --store-pixels), for pixel-target training (stage 1).
    case none
}

/// How each row's view is chosen.
public enum ViewChoice: String, Codable, Sendable, CaseIterable {
    /// The pre-training sampler and multi-scale crop (docs/method.md §6.3-6.4), seeded by (seed, video, view).
    case random
    /// The centred frames and the centred short-side square: deterministic.
    case center
}

/// Everything `extract-features` needs; the command builds it from flags.
public struct ExtractConfig: Codable, Sendable {
    public var teacher: TeacherChoice
    /// The teacher's weights; nil for `--teacher none`.
    public var checkpoint: URL?
    public var architecture: String
    public var model: ModelConfig
    public var manifest: URL
    /// The folder the manifest's relative paths start from; nil for the working directory.
    public var dataRoot: URL?
    /// The cache file written (under mpirun: this process's shard file).
    public var out: URL
    public var name: String
    public var viewsPerVideo: Int
    public var view: ViewChoice
    public var numFrames: Int
    public var samplingRate: Int
    public var inputSize: Int
    /// Storage of the teacher's features in the cache.
    public var dtype: FeatureDType
    public var storePixels: Bool
    public var shardIndex: Int
    public var shardCount: Int
    public var batchSize: Int
    public var decodeThreads: Int
    public var seed: UInt64
    public var commitEvery: Int
    /// The number format of the teacher's products (recorded in the cache; a rerun must use the same).
    public var precision: Precision
    /// Side of the frames the teacher sees (the stored crop resized to it), nil for `inputSize`: 196 for the patch-14
    /// MAE ViT-H teacher, whose 14×14 grid then matches a patch-16 student's at 224 (docs/method.md §5.1).
    public var teacherInputSize: Int?

    public init(
        teacher: TeacherChoice, checkpoint: URL?, architecture: String, model: ModelConfig, manifest: URL,
        dataRoot: URL?, out: URL, name: String? = nil, viewsPerVideo: Int = 1, view: ViewChoice = .random,
        numFrames: Int = 16, samplingRate: Int = 4, inputSize: Int = 224, dtype: FeatureDType = .float16, storePixels: Bool = false,
        shardIndex: Int = 0, shardCount: Int = 1, batchSize: Int = 1, decodeThreads: Int = 1, seed: UInt64 = 0,
        commitEvery: Int = 16, precision: Precision = .fp32, teacherInputSize: Int? = nil
    ) {
        self.teacher = teacher
        self.checkpoint = checkpoint
        self.architecture = architecture
        self.model = model
        self.manifest = manifest
        self.dataRoot = dataRoot
        self.out = out
        self.name = name ?? teacher.rawValue
        self.viewsPerVideo = viewsPerVideo
        self.view = view
        self.numFrames = numFrames
        self.samplingRate = samplingRate
        self.inputSize = inputSize
        self.dtype = dtype
        self.storePixels = storePixels
        self.shardIndex = shardIndex
        self.shardCount = shardCount
        self.batchSize = batchSize
        self.decodeThreads = decodeThreads
        self.seed = seed
        self.commitEvery = commitEvery
        self.precision = precision
        self.teacherInputSize = teacherInputSize
    }

    /// Side of the frames the teacher sees.
    public var teacherSize: Int { teacherInputSize ?? inputSize }

    /// Tokens per side of a frame: the teacher's patches per side, which the student's must equal.
    public var gridSide: Int { teacherSize / model.patchSize }

    /// The cache's `patch_size`: the side, in pixels of the stored clips, of the square one token covers
    /// (`input_size / grid side`). It is the teacher's patch size unless the teacher sees another size.
    public var cachePatchSize: Int { teacherInputSize == nil ? model.patchSize : inputSize / max(gridSide, 1) }

    /// The model config with the clip geometry of this run.
    public var teacherModel: ModelConfig {
        var m = model
        m.inputSize = teacherSize
        m.numFrames = numFrames
        return m
    }

    /// Frame stride of the image teacher (the tubelet size: the first frame of each tubelet).
    public var frameStride: Int { teacher == .image ? model.tubeletSize : 1 }

    /// The name of the teacher group, or nil for a views-only run.
    public var teacherName: String? { teacher == .none ? nil : name }

    /// Tokens per row: (T / tubelet) · (S / p)².
    public var tokensPerRow: Int { (numFrames / model.tubeletSize) * gridSide * gridSide }

    /// Upper bounds of the integer settings: far above any real extraction (MVD takes 1 view per video, rate 2–4),
    /// far below what overflows or fills a disk by mistake.
    public static let limits = (
        viewsPerVideo: 1_000, samplingRate: 64, batchSize: 4_096, decodeThreads: 256,
        commitEvery: 1_000_000, shardCount: 100_000
    )

    /// Checks every value and flag combination; messages name the flag and the value.
    public func validate() throws {
        func fail(_ m: String) -> ExtractError { .invalidConfig(m) }
        let limits = Self.limits
        for (flag, value, limit) in [
            ("--views-per-video", viewsPerVideo, limits.viewsPerVideo), ("--sampling-rate", samplingRate, limits.samplingRate),
            ("--batch-size", batchSize, limits.batchSize), ("--decode-threads", decodeThreads, limits.decodeThreads),
            ("the commit interval", commitEvery, limits.commitEvery)
        ] {
            guard value >= 1 && value <= limit else { throw fail("\(flag) must be between 1 and \(limit), got \(value)") }
        }
        guard teacher == .none || checkpoint != nil else { throw fail("--teacher \(teacher.rawValue) needs --checkpoint FILE") }
        guard shardCount <= limits.shardCount else { throw fail("--shard: at most \(limits.shardCount) shards, got \(shardCount)") }
        guard numFrames % model.tubeletSize == 0 else {
            throw fail("--num-frames \(numFrames) must be a multiple of the tubelet size \(model.tubeletSize)")
        }
        if let size = teacherInputSize {
            guard teacher != .none else { throw fail("--teacher-input-size sizes a teacher's input; --teacher none runs none: drop it") }
            guard size >= 1 && size <= ModelConfig.limits.inputSize else {
                throw fail("--teacher-input-size must be between 1 and \(ModelConfig.limits.inputSize), got \(size)")
            }
            guard size % model.patchSize == 0 else {
                throw fail("--teacher-input-size \(size) must be a multiple of the teacher's patch size \(model.patchSize)")
            }
            let g = gridSide
            guard inputSize % g == 0 else {
                throw fail(
                    "the teacher's \(g)×\(g) token grid (\(size) px / patch \(model.patchSize)) cannot be the grid of a student on "
                        + "the \(inputSize) px clips: \(inputSize) is not a multiple of \(g), so no student patch gives \(g)×\(g); "
                        + "choose --teacher-input-size = \(model.patchSize) × (--input-size / the student's patch), e.g. 196 for "
                        + "patch 14 at 224 px with a patch-16 student")
            }
        } else {
            guard inputSize % model.patchSize == 0 else {
                // The clip size often comes from the model's default, so name the flag that fits a teacher to any clips.
                let p = model.patchSize, side = Double(inputSize) / Double(p)
                let grids = (1...max(inputSize, 1)).filter { inputSize % $0 == 0 }
                let g = grids.min { (abs(Double($0) - side), -$0) < (abs(Double($1) - side), -$1) } ?? 1
                throw fail(
                    "the \(inputSize) px clips (--input-size) are not a multiple of the teacher's patch size \(p); give "
                        + "--teacher-input-size \(p * g) (the teacher sees each crop at \(p * g) px: a \(g)×\(g) token grid, "
                        + "\(inputSize / g) px of the clip per token), or an --input-size that is a multiple of \(p)")
            }
        }
        guard samplingRate >= 1, batchSize >= 1, decodeThreads >= 1, commitEvery >= 1 else {
            throw fail("--sampling-rate, --batch-size and --threads must be positive")
        }
        guard shardCount >= 1 && shardIndex >= 0 && shardIndex < shardCount else { throw fail("--shard must be I/N with 0 <= I < N") }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw fail("--name must be letters, digits, '_' or '-' (it becomes /teachers/<name>)")
        }
        do { try teacherModel.validate(needsSinCos3D: false) } catch { throw fail("\(error)") }
        // The image teacher's 2-D table splits the width into four sin/cos quarters.
        if teacher == .image && teacherModel.embedDim % 4 != 0 {
            throw fail("an image teacher's embed_dim must be a multiple of 4 for its 2-D position table, got \(teacherModel.embedDim)")
        }
    }

    /// What a run needs on the file system holding `out`, beyond what is in use there now, and why.
    public struct StorageNeed: Sendable, Equatable {
        /// Bytes the run needs free at its peak.
        public var bytes: Double
        /// What they are made of, for the refusal.
        public var reason: String
        /// Whether `out` exists already (its views, and so its size per teacher, are fixed).
        public var existing: Bool
    }

    /// Bytes the run needs free for `videoCount` manifest videos (`storageNeed(videoCount:).bytes`).
    public func requiredBytes(videoCount: Int) -> Double { storageNeed(videoCount: videoCount).bytes }

    /// What the run needs free at its peak for `videoCount` manifest videos. All storage is allocated when a file is
    /// created (features, pixels and per-row records). Adding a teacher to an existing file copies the whole file
    /// with the new teacher's storage, and storing a complete teacher's statistics copies the file once more (the
    /// copy is renamed over it, see docs/cache-format.md): each copy needs room beside the file it replaces. A shard
    /// gets no statistics (the merge computes them). Nothing when `out` holds this teacher with its statistics.
    public func storageNeed(videoCount: Int) -> StorageNeed {
        let videos = Double((videoCount + shardCount - 1) / shardCount), rows = videos * Double(viewsPerVideo)
        let m = teacherModel
        let features = teacher == .none ? 0 : rows * Double(dtype.bytesPerRow(tokens: tokensPerRow, width: m.embedDim))
        let statistics = teacher != .none && shardCount == 1
        let fb = Self.formatBytes
        guard FileManager.default.fileExists(atPath: out.path) else {
            let pixels = storePixels ? rows * Double(numFrames) * Double(inputSize * inputSize * 3) : 0
            let records = rows * Double(8 + 4 * numFrames + 16 + 1) + videos * 64
            let file = features + pixels + records
            let shape =
                "\(Int(videos)) videos × \(viewsPerVideo) views × \(tokensPerRow) tokens × \(m.embedDim) wide"
                + (storePixels ? ", with pixels" : "")
            return StorageNeed(
                bytes: statistics ? 2 * file : file,
                reason: "a new file of \(fb(file)) (\(shape))"
                    + (statistics ? " and, once the teacher is complete, a copy of it that stores its statistics" : ""),
                existing: false)
        }
        guard let reader = try? FeatureStoreReader(at: out), let name = teacherName else {
            return StorageNeed(bytes: 0, reason: "", existing: true)
        }
        let existing = Double((try? FileManager.default.attributesOfItem(atPath: out.path)[.size] as? Int) ?? 0)
        guard reader.teachers.contains(where: { $0.name == name }) else {
            // The copy (existing + features) is written while the original is still there; after the rename the
            // statistics' copy of the new file is written beside it.
            return StorageNeed(
                bytes: statistics ? existing + 2 * features : existing + features,
                reason: "adding teacher \(name) copies the \(fb(existing)) cache with the new teacher's \(fb(features)) "
                    + "into a new file"
                    + (statistics ? ", and storing its statistics once it is complete copies that file once more" : ""),
                existing: true)
        }
        guard statistics, (try? reader.statistics(teacher: name)) ?? nil == nil else {
            return StorageNeed(bytes: 0, reason: "", existing: true)
        }
        return StorageNeed(
            bytes: existing,
            reason: "storing teacher \(name)'s statistics once it is complete copies the \(fb(existing)) cache",
            existing: true)
    }

    /// Refuses an extraction whose cache would not fit in the free space of the file system holding `out`, before
    /// anything is written: the file is allocated in full up front, so a run that does not fit fills the disk.
    /// `freeBytes` stands in for the file system's free space (tests); nil asks the file system.
    public func checkStorage(videoCount: Int, freeBytes: Double? = nil) throws {
        let need = storageNeed(videoCount: videoCount)
        guard need.bytes > 0, let free = freeBytes ?? Self.freeBytes(near: out) else { return }
        guard need.bytes > free else { return }
        // An existing cache's views are fixed, so only more room helps; a new one can also be made smaller.
        let advice =
            need.existing
            ? "its views are fixed (--views-per-video and --store-pixels cannot change for an existing cache), so free "
                + "\(Self.formatBytes(need.bytes - free)) there, or move \(out.lastPathComponent) to a file system with room "
                + "and rerun with --out there"
            : "lower --views-per-video" + (storePixels ? " or drop --store-pixels" : "")
                + ", extract with --shard I/N onto several disks, or choose an --out with more space"
        throw ExtractError.invalidConfig(
            "\(out.path) needs \(Self.formatBytes(need.bytes)) free (\(need.reason)) but its file system has "
                + "\(Self.formatBytes(free)) free; \(advice)")
    }

    /// `bytes` in the largest unit that keeps a digit before the point: GB, MB, kB or bytes.
    public static func formatBytes(_ bytes: Double) -> String {
        for (unit, size) in [("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where bytes >= size {
            return String(format: "%.1f %@", bytes / size, unit)
        }
        return "\(Int(bytes)) bytes"
    }

    /// Free bytes (for unprivileged users) of the file system holding `url`, found through its nearest existing folder.
    static func freeBytes(near url: URL) -> Double? {
        var dir = url.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.path) && dir.path != "/" { dir = dir.deletingLastPathComponent() }
        var stats = statvfs()
        guard statvfs(dir.path, &stats) == 0 else { return nil }
        return Double(stats.f_bavail) * Double(stats.f_frsize)
    }
}

/// Errors of feature extraction; messages say what to do next.
public enum ExtractError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case teacherLoad(String)

    public var description: String {
        switch self {
        case .invalidConfig(let m): return m
        case .teacherLoad(let m): return m
        }
    }
}
