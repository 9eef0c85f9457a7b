import Checkpoint
import FeatureExtract
import FeatureStore
import Foundation
import Models
import TestSupport
import VideoIO

/// Shared set-up: the fixture teachers, small generated datasets, and a runner for the CLI binary.
enum ExtractionFixtures {
    static func config(
        _ teacher: TeacherChoice, manifest: URL, dataRoot: URL, out: URL, view: ViewChoice = .center,
        samplingRate: Int = 1, float32: Bool = true, shard: (Int, Int) = (0, 1), views: Int = 1
    ) throws -> ExtractConfig {
        let configFile = Fixtures.url("configs/fixture_\(teacher.rawValue)_teacher.json")
        let checkpoint = Fixtures.url(teacher == .image ? "image_teacher_mae_checkpoint.pth" : "video_teacher_videomae_checkpoint.pth")
        return ExtractConfig(
            teacher: teacher, checkpoint: checkpoint, architecture: "fixture", model: try ModelConfig.load(from: configFile),
            manifest: manifest, dataRoot: dataRoot, out: out, viewsPerVideo: views, view: view,
            numFrames: 16, samplingRate: samplingRate, inputSize: 32, dtype: float32 ? .float32 : .float16,
            shardIndex: shard.0, shardCount: shard.1, batchSize: 2, seed: 3, commitEvery: 2)
    }

    /// A small generated dataset (32-px videos of 40 frames) and its train manifest.
    static func dataset(in dir: URL, perClass: Int = 1) throws -> URL {
        let synth = SyntheticDatasetConfig(videosPerClass: perClass, valVideosPerClass: 1, size: 40, frames: 40, seed: 5)
        _ = try SyntheticDataset.write(synth, to: dir)
        return dir.appendingPathComponent(SyntheticDataset.trainManifest)
    }
}
