import Checkpoint
import Distill
import FeatureExtract
import FeatureStore
import Foundation
import Models
import Tensor
import VideoIO

/// End-to-end timings for `mvd bench --extraction` and `mvd bench --student`, on random weights and generated videos.
enum PipelineBenchmark {
    /// Writes `count` H.264 videos of 426×320 (a 320 short side, as K400 is prepared), 80 frames, moving gradients.
    static func videos(in dir: URL, count: Int) throws -> URL {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var lines: [String] = []
        for v in 0..<count {
            var clip = Clip(frameCount: 80, height: 320, width: 426)
            for t in 0..<80 {
                for y in 0..<320 {
                    for x in 0..<426 {
                        let i = ((t * 320 + y) * 426 + x) * 3
                        clip.pixels[i] = UInt8((x + 3 * t + 40 * v) & 255)
                        clip.pixels[i + 1] = UInt8((y + 2 * t) & 255)
                        clip.pixels[i + 2] = UInt8(((x ^ y) + t) & 255)
                    }
                }
            }
            try VideoEncoder.write(clip, to: dir.appendingPathComponent("v\(v).mp4").path, options: EncodeOptions(codec: .h264, gopSize: 16))
            lines.append("v\(v).mp4 0")
        }
        let manifest = dir.appendingPathComponent("bench.csv")
        try (lines.joined(separator: "\n") + "\n").write(to: manifest, atomically: true, encoding: .utf8)
        return manifest
    }

    /// Saves random teacher weights in the official key layout.
    static func randomTeacher(_ kind: TeacherChoice, _ config: ModelConfig, to url: URL) throws {
        var rng = SplitMix64(seed: 7)
        var tensors: [(String, Tensor)] = []
        switch kind {
        case .image:
            var t = ImageTeacher(random: config, using: &rng)
            tensors = t.checkpointTensors()
        default:
            var t = VideoTeacher(random: config, using: &rng)
            tensors = t.checkpointTensors(prefix: "encoder.")
        }
        try SafeTensors.write(StateDict(tensors: tensors), to: url)
    }

    /// Extraction of `videos` clips at 16×224² by a random teacher of `arch`, returning the run's summary.
    static func extraction(_ kind: TeacherChoice, arch: String, manifest: URL, dir: URL, precision: Precision = .fp32) throws -> ExtractSummary {
        let config = try ModelConfig.preset(arch)
        let weights = dir.appendingPathComponent("\(arch)-\(kind.rawValue).safetensors")
        try randomTeacher(kind, config, to: weights)
        let out = dir.appendingPathComponent("\(arch)-\(kind.rawValue).h5")
        try? FileManager.default.removeItem(at: out)
        let c = ExtractConfig(
            teacher: kind, checkpoint: weights, architecture: arch, model: config, manifest: manifest,
            dataRoot: manifest.deletingLastPathComponent(), out: out, view: .random, precision: precision)
        return try Extractor(config: c).run { _ in }
    }
}
