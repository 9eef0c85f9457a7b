/// The value types of the feature cache, format 1 (docs/cache-format.md), and the names they have in the file.

/// Root attributes: what the clips are and where they came from. Everything except `createdBy` is a
/// fingerprint: reopening a cache with a request that differs in any of them is refused.
public struct CacheAttributes: Equatable, Sendable {
    /// SHA-256 (lower-case hex) of the manifest file; see `SHA256.hexDigest(ofFileAt:)`.
    public var manifestSHA256: String
    /// Frames per clip (T).
    public var numFrames: Int
    /// Distance between sampled frames in the source video.
    public var samplingRate: Int
    /// Frames per tubelet of the video patch embedding.
    public var tubeletSize: Int
    /// Side of the square student input in pixels (S).
    public var inputSize: Int
    /// Side of a square patch in pixels (p).
    public var patchSize: Int
    /// Rows (clip views) per video; M = N * viewsPerVideo.
    public var viewsPerVideo: Int
    /// The seed that fixed clip sampling and crops.
    public var seed: Int
    /// Tool name and version, e.g. "extract-features 0.1.0". Informative only, not a fingerprint.
    public var createdBy: String

    public init(
        manifestSHA256: String, numFrames: Int, samplingRate: Int, tubeletSize: Int, inputSize: Int,
        patchSize: Int, viewsPerVideo: Int, seed: Int, createdBy: String
    ) {
        self.manifestSHA256 = manifestSHA256
        self.numFrames = numFrames
        self.samplingRate = samplingRate
        self.tubeletSize = tubeletSize
        self.inputSize = inputSize
        self.patchSize = patchSize
        self.viewsPerVideo = viewsPerVideo
        self.seed = seed
        self.createdBy = createdBy
    }

    /// (attribute name, request value) for every fingerprint attribute that is a string.
    var stringFingerprints: [(String, String)] { [("manifest_sha256", manifestSHA256)] }

    /// (attribute name, request value) for every integer root attribute.
    var intFingerprints: [(String, Int)] {
        [
            ("num_frames", numFrames), ("sampling_rate", samplingRate), ("tubelet_size", tubeletSize),
            ("input_size", inputSize), ("patch_size", patchSize), ("views_per_video", viewsPerVideo), ("seed", seed)
        ]
    }
}

/// Storage precision of a teacher's features.
///
/// `int8` stores each value as a signed byte and each token's scale as a float32 beside the features
/// (`features_scale`, see `Int8Quantization`); a file holding an int8 teacher is format version 2.
public enum FeatureDType: String, Codable, Sendable, CaseIterable {
    case float16, float32, int8
    /// Bytes per stored value of `features`.
    public var byteCount: Int {
        switch self {
        case .float16: return 2
        case .float32: return 4
        case .int8: return 1
        }
    }

    /// Bytes a row of `tokens` x `width` values occupies, the per-token scales of int8 included.
    public func bytesPerRow(tokens: Int, width: Int) -> Int {
        tokens * width * byteCount + (self == .int8 ? tokens * MemoryLayout<Float>.size : 0)
    }
}

/// Whether a teacher sees single frames (MAE image ViT) or the clip (VideoMAE video ViT).
public enum TeacherKind: String, Sendable, CaseIterable, Codable {
    case image, video
}

/// One frozen teacher whose per-patch targets the cache holds under `/teachers/<name>`.
///
/// All fields are fingerprints: a cache already holding `name` with any other value is refused.
public struct TeacherSpec: Equatable, Sendable {
    /// Group name under /teachers, e.g. "image" or "video".
    public var name: String
    public var kind: TeacherKind
    /// Architecture name, e.g. "vit_base_patch16_224".
    public var arch: String
    /// Feature width D.
    public var embedDim: Int
    public var depth: Int
    public var numHeads: Int
    public var patchSize: Int
    public var inputSize: Int
    /// Stride between the clip frames the teacher sees (2 for the image teacher on frames 0,2,..,14).
    public var frameStride: Int
    public var checkpointSHA256: String
    public var checkpointName: String
    /// Which activation is stored; always "last_block_pre_norm" in format 1.
    public var output: String
    public var dtype: FeatureDType
    /// The number format the teacher's products ran in, "fp32" or "bf16". Caches written before the attribute
    /// existed were computed in fp32 and read as such.
    public var precision: String
    /// Tokens per row L (the middle dimension of `features`); not an attribute, checked against the shape.
    public var tokenCount: Int

    public init(
        name: String, kind: TeacherKind, arch: String, embedDim: Int, depth: Int, numHeads: Int,
        patchSize: Int, inputSize: Int, frameStride: Int, checkpointSHA256: String, checkpointName: String,
        tokenCount: Int, dtype: FeatureDType = .float16, output: String = "last_block_pre_norm",
        precision: String = "fp32"
    ) {
        self.name = name
        self.kind = kind
        self.arch = arch
        self.embedDim = embedDim
        self.depth = depth
        self.numHeads = numHeads
        self.patchSize = patchSize
        self.inputSize = inputSize
        self.frameStride = frameStride
        self.checkpointSHA256 = checkpointSHA256
        self.checkpointName = checkpointName
        self.output = output
        self.dtype = dtype
        self.precision = precision
        self.tokenCount = tokenCount
    }

    /// The values `precision` may take.
    public static let precisions = ["fp32", "bf16"]

    /// Values per row, L * D.
    public var rowElements: Int { tokenCount * embedDim }

    var stringAttributes: [(String, String)] {
        [
            ("kind", kind.rawValue), ("arch", arch), ("checkpoint_sha256", checkpointSHA256),
            ("checkpoint_name", checkpointName), ("output", output), ("dtype", dtype.rawValue), ("precision", precision)
        ]
    }

    var intAttributes: [(String, Int)] {
        [
            ("embed_dim", embedDim), ("depth", depth), ("num_heads", numHeads), ("patch_size", patchSize),
            ("input_size", inputSize), ("frame_stride", frameStride)
        ]
    }
}

/// One manifest line: a video and its class.
public struct VideoEntry: Equatable, Sendable {
    public var path: String
    public var label: Int
    public init(path: String, label: Int) {
        self.path = path
        self.label = label
    }
}

/// Decode outcome of a video, as stored in `/videos/status`.
public enum VideoStatus: UInt8, Sendable {
    case pending = 0, ok = 1, failed = 2
}

/// The exact view a row holds: which source frames and which crop.
public struct RowView: Equatable, Sendable {
    /// Source frame indices actually used, `numFrames` of them.
    public var frames: [Int]
    /// Crop box in source pixels: x, y, width, height.
    public var crop: (x: Int, y: Int, width: Int, height: Int)

    public init(frames: [Int], crop: (x: Int, y: Int, width: Int, height: Int)) {
        self.frames = frames
        self.crop = crop
    }

    public static func == (a: RowView, b: RowView) -> Bool {
        a.frames == b.frames && a.crop == b.crop
    }
}

/// Names inside the file, in one place.
enum CacheNames {
    static let format = "mvd-feature-cache"
    /// Version 1 holds float16 and float32 teachers only; a file with an int8 teacher is version 2, so that a
    /// version-1 reader refuses it instead of reading the int8 codes as values. Float caches stay version 1,
    /// byte for byte as they were.
    static let formatVersion = 1, int8FormatVersion = 2
    static let knownVersions = [formatVersion, int8FormatVersion]
    static let featureScale = "features_scale"

    /// The version of a file holding `teachers`.
    static func formatVersion(for teachers: [TeacherSpec]) -> Int {
        teachers.contains { $0.dtype == .int8 } ? int8FormatVersion : formatVersion
    }
    static let shardIndex = "shard_index", shardCount = "shard_count"
    static let videoOffset = "video_offset", totalVideos = "total_videos"
}
