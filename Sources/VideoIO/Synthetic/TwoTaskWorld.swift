import Foundation

/// Sizes and seed of a two-task world.
public struct TwoTaskWorldConfig: Codable, Equatable, Sendable {
    /// Videos of the unlabeled pre-training pool.
    public var unlabeled: Int
    /// Labelled training and validation videos per (shape, motion) pair; each task sees every labelled video.
    public var trainPerPair: Int
    public var valPerPair: Int
    /// Frame side in pixels, and frames per video.
    public var size: Int
    public var frames: Int
    public var frameRate: Int
    public var seed: UInt64
    public var codec: VideoCodec

    public init(
        unlabeled: Int = 3000, trainPerPair: Int = 16, valPerPair: Int = 32, size: Int = 32, frames: Int = 16,
        frameRate: Int = 25, seed: UInt64 = 0, codec: VideoCodec = .bestAvailableLossy
    ) {
        self.unlabeled = unlabeled
        self.trainPerPair = trainPerPair
        self.valPerPair = valPerPair
        self.size = size
        self.frames = frames
        self.frameRate = frameRate
        self.seed = seed
        self.codec = codec
    }
}

/// A world in which appearance and motion are two separate labelled tasks over the same videos, with an unlabeled
/// pool for pre-training, written in the layout `pipelines/experiment.sh --data DIR` reads:
///
/// ```
/// DIR/unlabeled.csv                         pre-training videos (label column 0: unused)
/// DIR/appearance/train.csv, val.csv         the same labelled videos, labelled by shape (0..<4)
/// DIR/motion/train.csv, val.csv             ... and by direction of travel (0..<4)
/// DIR/videos/...                            paths in every manifest are relative to DIR
/// DIR/world.json                            the config, and the class names of both tasks
/// ```
///
/// Shapes and motions are crossed evenly (every pair has the same number of videos), so within a task the other
/// task's label is balanced and carries no information.
public enum TwoTaskWorld {
    public static let unlabeledManifest = "unlabeled.csv", configFile = "world.json"
    public static let tasks = ["appearance", "motion"]

    /// Video `index` of `split` ("unlabeled", "train", "val"): labels and scene are pure functions of the seed.
    public static func scene(split: String, index: Int, config: TwoTaskWorldConfig) -> TwoTaskScene {
        let salt = split.utf8.reduce(UInt64(0xC0FFEE)) { ($0 &* 31) &+ UInt64($1) }
        var mixer = SplitMix64(seed: config.seed ^ (salt << 20) ^ UInt64(index))
        var rng = SplitMix64(seed: mixer.next())
        let pairs = TwoTaskShape.allCases.count * TwoTaskMotion.allCases.count
        // Labelled splits cycle through the pairs so that they stay balanced; the pool draws them at random.
        let pair = split == "unlabeled" ? Int(rng.next() % UInt64(pairs)) : index % pairs
        let shape = TwoTaskShape.allCases[pair / TwoTaskMotion.allCases.count]
        let motion = TwoTaskMotion.allCases[pair % TwoTaskMotion.allCases.count]
        return TwoTaskScene.random(shape: shape, motion: motion, frames: config.frames, using: &rng)
    }

    /// Writes the world under `directory`; `progress(done, total)` after each video.
    public static func write(
        _ config: TwoTaskWorldConfig, to directory: URL,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws {
        let fm = FileManager.default
        let pairs = TwoTaskShape.allCases.count * TwoTaskMotion.allCases.count
        let splits = [("unlabeled", config.unlabeled), ("train", config.trainPerPair * pairs), ("val", config.valPerPair * pairs)]
        let total = splits.reduce(0) { $0 + $1.1 }
        let ext = config.codec == .vp9 ? "webm" : (config.codec.isLossless ? "mkv" : "mp4")
        var done = 0
        for task in tasks { try fm.createDirectory(at: directory.appendingPathComponent(task), withIntermediateDirectories: true) }
        for (split, count) in splits {
            try fm.createDirectory(at: directory.appendingPathComponent("videos/\(split)"), withIntermediateDirectories: true)
            var unlabeled: [(path: String, label: Int)] = [], appearance = unlabeled, motion = unlabeled
            for index in 0..<count {
                let s = scene(split: split, index: index, config: config)
                let path = "videos/\(split)/\(String(format: "%05d", index)).\(ext)"
                try VideoEncoder.write(
                    s.render(size: config.size, frames: config.frames),
                    to: directory.appendingPathComponent(path).path,
                    options: EncodeOptions(codec: config.codec, frameRate: config.frameRate, gopSize: 16))
                unlabeled.append((path, 0))
                appearance.append((path, TwoTaskShape.allCases.firstIndex(of: s.shape)!))
                motion.append((path, TwoTaskMotion.allCases.firstIndex(of: s.motion)!))
                done += 1
                progress(done, total)
            }
            if split == "unlabeled" {
                try write(Manifest.format(unlabeled), to: directory.appendingPathComponent(unlabeledManifest))
            } else {
                try write(Manifest.format(appearance), to: directory.appendingPathComponent("appearance/\(split).csv"))
                try write(Manifest.format(motion), to: directory.appendingPathComponent("motion/\(split).csv"))
            }
        }
        let description = WorldDescription(
            config: config, appearance: TwoTaskShape.allCases.map(\.rawValue),
            motion: TwoTaskMotion.allCases.map(\.rawValue))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(description).write(to: directory.appendingPathComponent(configFile), options: .atomic)
    }

    private struct WorldDescription: Codable {
        var config: TwoTaskWorldConfig
        /// Class names by label, per task.
        var appearance: [String]
        var motion: [String]
    }

    private static func write(_ text: String, to url: URL) throws {
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}
