import Foundation
import Models

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
    /// The pre-training sampler and multi-scale crop (MVD-SPEC §6.3-6.4), seeded by (seed, video, view).
    case random
    /// The centred frames and the centred short-side square: deterministic.
    case center
}

/// Everything `extract-features` needs; the command builds it from flags.
public struct ExtractConfig: Codable, Sendable {
    public var teacher: TeacherChoice
    public var checkpoint: String
    public var architecture: String
    public var model: ModelConfig
    public var manifest: String
    public var dataRoot: String?
    public var out: String
    public var name: String
    public var viewsPerVideo: Int
    public var view: ViewChoice
    public var numFrames: Int
    public var samplingRate: Int
    public var inputSize: Int
    public var float32: Bool
    public var storePixels: Bool
    public var shardIndex: Int
    public var shardCount: Int
    public var batchSize: Int
    public var decodeThreads: Int
    public var seed: UInt64
    public var commitEvery: Int

    public init(teacher: TeacherChoice, checkpoint: String, architecture: String, model: ModelConfig, manifest: String,
                dataRoot: String?, out: String, name: String? = nil, viewsPerVideo: Int = 1, view: ViewChoice = .random,
                numFrames: Int = 16, samplingRate: Int = 4, inputSize: Int = 224, float32: Bool = false, storePixels: Bool = false,
                shardIndex: Int = 0, shardCount: Int = 1, batchSize: Int = 1, decodeThreads: Int = 1, seed: UInt64 = 0,
                commitEvery: Int = 16) {
        self.teacher = teacher; self.checkpoint = checkpoint; self.architecture = architecture; self.model = model
        self.manifest = manifest; self.dataRoot = dataRoot; self.out = out; self.name = name ?? teacher.rawValue
        self.viewsPerVideo = viewsPerVideo; self.view = view; self.numFrames = numFrames; self.samplingRate = samplingRate
        self.inputSize = inputSize; self.float32 = float32; self.storePixels = storePixels; self.shardIndex = shardIndex
        self.shardCount = shardCount; self.batchSize = batchSize; self.decodeThreads = decodeThreads; self.seed = seed
        self.commitEvery = commitEvery
    }

    /// The model config with the clip geometry of this run.
    public var teacherModel: ModelConfig {
        var m = model
        m.inputSize = inputSize
        m.numFrames = numFrames
        return m
    }

    /// Frame stride of the image teacher (the tubelet size: the first frame of each tubelet).
    public var frameStride: Int { teacher == .image ? model.tubeletSize : 1 }

    /// The name of the teacher group, or nil for a views-only run.
    public var teacherName: String? { teacher == .none ? nil : name }

    /// Tokens per row: (T / tubelet) · (S / p)².
    public var tokensPerRow: Int { (numFrames / model.tubeletSize) * (inputSize / model.patchSize) * (inputSize / model.patchSize) }

    /// Checks flag combinations; messages name the flag.
    public func validate() throws {
        func fail(_ m: String) -> ExtractError { .invalidConfig(m) }
        guard viewsPerVideo >= 1 else { throw fail("--views-per-video must be at least 1") }
        guard numFrames % model.tubeletSize == 0 else { throw fail("--num-frames \(numFrames) must be a multiple of the tubelet size \(model.tubeletSize)") }
        guard inputSize % model.patchSize == 0 else { throw fail("--input-size \(inputSize) must be a multiple of the patch size \(model.patchSize)") }
        guard samplingRate >= 1, batchSize >= 1, decodeThreads >= 1, commitEvery >= 1 else {
            throw fail("--sampling-rate, --batch-size and --threads must be positive")
        }
        guard shardCount >= 1 && shardIndex >= 0 && shardIndex < shardCount else { throw fail("--shard must be I/N with 0 <= I < N") }
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw fail("--name must be letters, digits, '_' or '-' (it becomes /teachers/<name>)")
        }
        do { try teacherModel.validate(needsSinCos3D: false) } catch { throw fail("\(error)") }
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
