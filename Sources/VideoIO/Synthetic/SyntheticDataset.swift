import Foundation

/// Sizes and seed of the built-in synthetic dataset.
public struct SyntheticDatasetConfig: Codable, Equatable, Sendable {
    /// Training videos per class.
    public var videosPerClass: Int
    /// Validation videos per class.
    public var valVideosPerClass: Int
    /// Frame side in pixels (frames are square).
    public var size: Int
    /// Frames per video.
    public var frames: Int
    /// Frames per second written into the files.
    public var frameRate: Int
    public var seed: UInt64
    public var codec: VideoCodec
    public var classes: [SyntheticClass]
    /// Multiplies every object's size (nil = 1, the default look).
    public var objectScale: Double?
    /// How much backgrounds, clutter and noise vary (nil = `.full`, the default look).
    public var nuisance: SyntheticNuisance?
    /// Copies of the object in every video (nil = 1).
    public var objects: Int?
    /// Where the copies go (nil = `.random`).
    public var layout: SyntheticLayout?

    public init(
        videosPerClass: Int = 24, valVideosPerClass: Int = 8, size: Int = 64, frames: Int = 48, frameRate: Int = 25,
        seed: UInt64 = 0, codec: VideoCodec = .bestAvailableLossy, classes: [SyntheticClass] = SyntheticClasses.all
    ) {
        self.videosPerClass = videosPerClass
        self.valVideosPerClass = valVideosPerClass
        self.size = size
        self.frames = frames
        self.frameRate = frameRate
        self.seed = seed
        self.codec = codec
        self.classes = classes
    }
}

/// One video about to be written, reported through the progress callback.
public struct SyntheticProgress: Sendable {
    /// 1-based position among all videos.
    public let index: Int
    public let total: Int
    /// Path relative to the output directory, as written in the manifest.
    public let path: String
    public let className: String
}

/// Writes the built-in labelled dataset: encoded videos, `train.csv` / `val.csv` in the original manifest
/// format (paths relative to the output directory: pass it as `--data-root`), `classes.json` (label, name,
/// kind = appearance | motion, shape, motion, description) and `synth.json` (the config).
public enum SyntheticDataset {
    /// Manifest file names inside the output directory.
    public static let trainManifest = "train.csv", valManifest = "val.csv", classesFile = "classes.json", configFile = "synth.json"

    /// The scene of video `index` of `split` ("train" or "val") of class `label`: a pure function of the
    /// config's seed, so any one video can be regenerated alone.
    public static func scene(label: Int, split: String, index: Int, config: SyntheticDatasetConfig) -> SyntheticScene {
        let splitSalt: UInt64 = split == "train" ? 0x7472_6169_6E00_0000 : 0x7661_6C00_0000_0000
        var mixer = SplitMix64(seed: config.seed ^ splitSalt ^ (UInt64(label) << 32) ^ UInt64(index))
        var rng = SplitMix64(seed: mixer.next())
        return SyntheticScene.random(
            for: config.classes[label], size: config.size, objectScale: config.objectScale ?? 1,
            nuisance: config.nuisance ?? .full, objects: config.objects ?? 1,
            layout: config.layout ?? .random, using: &rng)
    }

    /// Writes the whole dataset under `directory` and returns the train and val manifest entries.
    /// Throws `VideoDecodeError` when encoding fails, or Foundation's error when a file cannot be written.
    @discardableResult
    public static func write(
        _ config: SyntheticDatasetConfig, to directory: URL,
        progress: (SyntheticProgress) -> Void = { _ in }
    ) throws -> (train: [ManifestEntry], val: [ManifestEntry]) {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: directory, withIntermediateDirectories: true)
        let splits = [("train", config.videosPerClass, trainManifest), ("val", config.valVideosPerClass, valManifest)]
        let total = config.classes.count * (config.videosPerClass + config.valVideosPerClass)
        let ext = config.codec == .vp9 ? "webm" : (config.codec.isLossless ? "mkv" : "mp4")
        var written = 0
        var result: [[ManifestEntry]] = []
        for (split, count, manifestName) in splits {
            try fileManager.createDirectory(at: directory.appendingPathComponent("videos/\(split)"), withIntermediateDirectories: true)
            var rows: [(path: String, label: Int)] = []
            // Interleave classes so that a partial dataset stays balanced.
            for index in 0..<count {
                for synthClass in config.classes {
                    let path = "videos/\(split)/\(synthClass.name)_\(String(format: "%03d", index)).\(ext)"
                    written += 1
                    progress(SyntheticProgress(index: written, total: total, path: path, className: synthClass.name))
                    let clip = scene(label: synthClass.label, split: split, index: index, config: config)
                        .render(size: config.size, frames: config.frames)
                    try VideoEncoder.write(
                        clip, to: directory.appendingPathComponent(path).path,
                        options: EncodeOptions(codec: config.codec, frameRate: config.frameRate, gopSize: 16))
                    rows.append((path, synthClass.label))
                }
            }
            try Manifest.format(rows).write(to: directory.appendingPathComponent(manifestName), atomically: true, encoding: .utf8)
            result.append(
                rows.map {
                    ManifestEntry(
                        path: $0.path, label: $0.label,
                        resolvedPath: Manifest.resolve($0.path, dataRoot: directory.path))
                })
        }
        try writeJSON(config.classes, to: directory.appendingPathComponent(classesFile))
        try writeJSON(config, to: directory.appendingPathComponent(configFile))
        return (result[0], result[1])
    }

    /// Reads `classes.json` from a dataset directory.
    public static func loadClasses(from directory: URL) throws -> [SyntheticClass] {
        try JSONDecoder().decode([SyntheticClass].self, from: Data(contentsOf: directory.appendingPathComponent(classesFile)))
    }

    private static func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: url, options: .atomic)
    }
}
